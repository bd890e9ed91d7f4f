export function HowItWorks() {
  return (
    <details className="how-it-works">
      <summary>How it works</summary>
      <p>
        Each text is encoded by the model. PairLens takes the hidden states of both texts at the input of the chosen
        layer and walks a straight path from a neutral reference input (the same length, with no lexical content) to the
        real one. Along that path it averages the Jacobian of the rest of the network — the integrated Jacobian — and
        turns it into one matrix: cell (i, j) is how much token i of A and token j of B together add to the similarity.
      </p>
      <p>
        The cells sum to the similarity up to two things the diagnostics show: the reference terms (in approximate mode,
        the parts of the score that involve the reference inputs) and the integration error (the path integral is
        approximated by a quadrature rule; with steps set to auto, nested levels of points are added until the estimated
        error of the matrix is below the tolerance). In exact mode the model is shifted so
        the reference maps to zero, the reference terms vanish, and the cells sum to the shifted model's similarity.
      </p>
      <p>
        The method is from Möller, Nikolaev and Padó (EMNLP 2023; EACL 2024). PairLens computes it with forward-mode
        derivatives in your browser, showing each complete level of the rule as a partial result while it refines.
      </p>
    </details>
  );
}
