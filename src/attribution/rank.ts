/**
 * Ranking passages against a query, and explaining the ranking: every passage is scored
 * from the embeddings first (so a ranking shows at once), then the first `top` passages
 * by score are attributed one by one, in rank order, with the query as text A. The
 * worker and the CLI run it; the report of a ranking is src/shared/rank-report.ts, and
 * the per-token sums a ranking shows (passageContributions) live there too, free of TF.js.
 *
 *   const outcome = await rankPassages(engine, model, { query, passages, layer, steps, mode, sim, top? },
 *                                      { onScores?, onPassage?, onPartial?, onProgress?, signal? });
 *   outcome.scores      // every passage, by descending score (ties by position)
 *   outcome.results     // [{ rank, result }] for the attributed ones, in rank order
 *
 * Cost: the engine caches each text's P per (text, layer, rule, reference, method), so
 * the query's P is computed once: K distinct passages cost K + 1 texts' P (a passage
 * given twice, or equal to the query, once). With steps 'auto' a later passage may
 * need a deeper level of the query than the ones before; the engine then continues the
 * query's cached levels, which its stats count as one more text computed.
 *
 * Errors: AttributionInputError for a bad request (empty query, no passages, a blank
 * passage, a bad top, or anything the engine refuses), before anything is computed;
 * AttributionAbortedError when the signal fires, between passages and inside each.
 */
import { embedText, type SentenceEncoder } from '../model/encoder.ts';
import { nextTurn } from '../shared/next-turn.ts';
import type { AttributionEngine, AttributionProgress, AttributionResult } from './engine.ts';
import { AttributionAbortedError, AttributionInputError } from './errors.ts';
import { similarity } from './pairing.ts';
import {
  choiceProblem,
  numberProblem,
  PARAMETERS,
  type AttributionMethod,
  type PairMode,
  type QuadratureRule,
  type Similarity,
  type Steps,
} from './parameters.ts';
import type { Reference } from '../model/reference.ts';

export interface RankRequest {
  query: string;
  passages: string[];
  layer: number;
  steps: Steps;
  rule?: QuadratureRule;
  tolerance?: number;
  mode: PairMode;
  sim: Similarity;
  method?: AttributionMethod;
  reference?: Reference;
  /** Names of the model's prompts put before the query (A) and each passage (B), e.g. "query" and "passage". */
  promptA?: string;
  promptB?: string;
  /** Attribute only the first `top` passages by score (all are scored); default all; 0 scores only. */
  top?: number;
  /** When given, must name the engine's model. */
  model?: string;
}

export interface RankedScore {
  /** Position in request.passages. */
  index: number;
  /** 1-based. */
  rank: number;
  /** The unmodified model's similarity (cos or dot per sim), from the embeddings. */
  score: number;
}

export interface RankProgress {
  /** 'scoring' while embeddings are computed, then 'attributing'. */
  phase: 'scoring' | 'attributing';
  /** Passages scored so far (of request.passages.length). */
  scored: number;
  /** Passages whose attribution is final. */
  passagesDone: number;
  /** Passages that will be attributed (top, or all). */
  passagesTotal: number;
  /** The engine's progress within the passage under way; null between passages. */
  within: AttributionProgress | null;
}

export interface RankCallbacks {
  /** Once, before any attribution: every passage, by rank. */
  onScores?(scores: RankedScore[]): void;
  /** The final result of each attributed passage, in rank order. */
  onPassage?(rank: RankedScore, result: AttributionResult): void;
  /** The engine's partial results (complete levels) of the passage under way. */
  onPartial?(rank: RankedScore, partial: AttributionResult): void;
  onProgress?(progress: RankProgress): void;
  signal?: AbortSignal;
}

export interface RankOutcome {
  scores: RankedScore[];
  results: Array<{ rank: RankedScore; result: AttributionResult }>;
  /** The query's tokens (pieces), as the model reads them. */
  queryTokens: string[];
  /** Texts whose P the engine computed for this ranking (its stats' delta). */
  textsComputed: number;
  ms: number;
}

/** Ranks by descending score; equal scores keep the passages' order. */
export function rankScores(scores: readonly number[]): RankedScore[] {
  return scores
    .map((score, index) => ({ index, score }))
    .sort((x, y) => y.score - x.score || x.index - y.index)
    .map(({ index, score }, i) => ({ index, rank: i + 1, score }));
}

/** Checks what the engine cannot see before the first attribution; throws AttributionInputError. */
function validate(engine: AttributionEngine, model: SentenceEncoder, request: RankRequest): void {
  const fail = (message: string): never => {
    throw new AttributionInputError(message);
  };
  if (model.id !== engine.model.id) fail(`the model "${model.id}" is not the engine's "${engine.model.id}"`);
  if (request.model !== undefined && request.model !== engine.model.id) {
    fail(`unknown model "${request.model}": this engine holds "${engine.model.id}"`);
  }
  if (typeof request.query !== 'string' || request.query.trim() === '') fail('the query is empty');
  if (!Array.isArray(request.passages) || request.passages.length === 0) fail('there are no passages to rank');
  const blank = request.passages.findIndex((p) => typeof p !== 'string' || p.trim() === '');
  if (blank >= 0) fail(`passage ${blank + 1} is empty`);
  const { top } = request;
  if (top !== undefined && !(Number.isInteger(top) && top >= 0)) fail(`top must be a whole number of passages (0 or more), got ${String(top)}`);
  const problem = choiceProblem(PARAMETERS.sim, request.sim) ?? (request.steps === 'auto' && request.tolerance !== undefined ? numberProblem(PARAMETERS.tol, request.tolerance) : undefined);
  if (problem !== undefined) fail(problem);
  // The engine's own checks of layer, steps, rule, mode, method and reference; computes nothing.
  const { layer, steps, rule, reference, method, mode } = request;
  engine.cachedP(request.query, { layer, steps, rule, reference, method, mode, prompt: request.promptA });
  engine.cachedP(request.query, { layer, steps, rule, reference, method, mode, prompt: request.promptB });
}

export async function rankPassages(
  engine: AttributionEngine,
  model: SentenceEncoder,
  request: RankRequest,
  callbacks: RankCallbacks = {},
): Promise<RankOutcome> {
  const started = performance.now();
  const textsBefore = engine.stats.textsComputed;
  validate(engine, model, request);
  const { signal, onScores, onPassage, onPartial, onProgress } = callbacks;
  const checkAbort = async () => {
    // A host's "cancel" message must get a turn.
    if (signal) await nextTurn();
    if (signal?.aborted) throw new AttributionAbortedError();
  };
  await checkAbort();

  const total = request.passages.length;
  const attributed = Math.min(request.top ?? total, total);
  const progress = (p: Omit<RankProgress, 'passagesTotal'>) => onProgress?.({ ...p, passagesTotal: attributed });

  const promptText = (name: string | undefined) => (name ? model.prompts?.[name] : undefined);
  const embeddedQuery = await embedText(model, request.query, promptText(request.promptA));
  // Equal passages are embedded once.
  const embeddings = new Map<string, Float32Array>();
  const values: number[] = [];
  for (const passage of request.passages) {
    let embedding = embeddings.get(passage);
    if (!embedding) {
      await checkAbort();
      embedding = (await embedText(model, passage, promptText(request.promptB))).embedding;
      embeddings.set(passage, embedding);
    }
    values.push(similarity(embeddedQuery.embedding, embedding, request.sim));
    progress({ phase: 'scoring', scored: values.length, passagesDone: 0, within: null });
  }
  const scores = rankScores(values);
  onScores?.(scores.map((s) => ({ ...s })));

  const results: RankOutcome['results'] = [];
  const { query, passages, layer, steps, rule, tolerance, mode, sim, method, reference, promptA, promptB } = request;
  const settings = { layer, steps, rule, tolerance, mode, sim, method, reference, promptA, promptB, model: request.model };
  for (const rank of scores.slice(0, attributed)) {
    await checkAbort();
    const result = await engine.attribute(
      { ...settings, a: query, b: passages[rank.index] },
      {
        signal,
        onPartial: onPartial && ((partial) => onPartial(rank, partial)),
        onProgress: (within) => progress({ phase: 'attributing', scored: total, passagesDone: results.length, within }),
      },
    );
    results.push({ rank, result });
    onPassage?.(rank, result);
    progress({ phase: 'attributing', scored: total, passagesDone: results.length, within: null });
  }
  return {
    scores,
    results,
    queryTokens: embeddedQuery.tokens,
    textsComputed: engine.stats.textsComputed - textsBefore,
    ms: performance.now() - started,
  };
}
