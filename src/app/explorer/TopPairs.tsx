import type { AttributionResult } from '../../worker/protocol.ts';

export interface TopPair {
  row: number;
  col: number;
  value: number;
}

/** The k cells with the largest |A|. */
export function topPairs(matrix: Float32Array, cols: number, k: number): TopPair[] {
  const cells = Array.from(matrix, (value, i) => ({ row: Math.floor(i / cols), col: i % cols, value }));
  return cells.sort((x, y) => Math.abs(y.value) - Math.abs(x.value)).slice(0, k);
}

export function TopPairs({ result, k = 5 }: { result: AttributionResult; k?: number }) {
  const pairs = topPairs(result.matrix, result.cols, k);
  const carried = pairs.reduce((sum, p) => sum + p.value, 0);
  // The score being explained: the unmodified model's in approximate mode, the shifted model's in exact mode.
  const explained = result.mode === 'exact' ? result.shiftedPrediction : result.prediction;
  const share = (v: number) => (explained !== 0 ? `${((100 * v) / explained).toFixed(1)}%` : '—');
  return (
    <section className="top-pairs" aria-labelledby="top-pairs-title">
      <h2 id="top-pairs-title">Top pairs</h2>
      <ol>
        {pairs.map((p) => (
          <li key={`${p.row}-${p.col}`}>
            <span className="token">{result.tokensA[p.row]}</span> × <span className="token">{result.tokensB[p.col]}</span>{' '}
            <strong>{p.value.toFixed(4)}</strong> <span className="muted">({share(p.value)} of the prediction)</span>
          </li>
        ))}
      </ol>
      <p className="muted">
        These {pairs.length} pairs carry {share(carried)} of the prediction ({explained.toFixed(4)}).
      </p>
    </section>
  );
}
