import { whyAbove } from './ranking.ts';
import type { AttributionResult } from '../../worker/protocol.ts';
import { Words } from './RankView.tsx';

interface Props {
  x: AttributionResult;
  y: AttributionResult;
  rankX: number;
  rankY: number;
  color: (v: number) => string;
  onClose: () => void;
}

const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`;

/**
 * "Why is X above Y": the score difference split over the query's words and each
 * passage's words, and the two terms the attributions do not cover (ranking.ts, whyAbove).
 */
export function WhyAbove({ x, y, rankX, rankY, color, onClose }: Props) {
  const why = whyAbove(x, y);
  const restName = x.mode === 'exact' ? "original's score − attributed model's shifted score" : 'reference terms';
  return (
    <section className="why-above" aria-label={`Why is #${rankX} above #${rankY}`}>
      <h3>
        Why is #{rankX} above #{rankY}?{' '}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </h3>
      <p>
        score(#{rankX}) − score(#{rankY}) = <strong data-testid="score-difference">{signed(why.scoreDifference)}</strong> ={' '}
        <span data-testid="attributed-difference">{signed(why.attributed)}</span> (the words below, ΣA difference){' '}
        {signed(why.rest)} ({restName}) {signed(-why.integrationError)} (integration error)
      </p>
      <p>
        <strong>Query words</strong> (row sums in #{rankX} minus those in #{rankY}): <Words shares={why.query} color={color} />
      </p>
      <p>
        <strong>#{rankX}'s words</strong> (added): <Words shares={why.x} color={color} />
      </p>
      <p>
        <strong>#{rankY}'s words</strong> (subtracted): <Words shares={why.y} color={color} />
      </p>
      <p className="muted">
        The query words' values add up to the ΣA difference, and so do #{rankX}'s words plus #{rankY}'s: both are the same
        difference split two ways.
      </p>
    </section>
  );
}
