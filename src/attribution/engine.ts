/**
 * The attribution engine: token-pair attributions A = P_aᵀ P_b for a Siamese encoder
 * (docs/method.md). No DOM, no React: the worker, the CLI and the tests drive it alike.
 *
 * Public API
 *
 *   const engine = new AttributionEngine(model);      // any SentenceEncoder with tangent rules (or method 'vjp')
 *   const engine = new AttributionEngine(model, { exactVariant });  // with the model's exact variant
 *   const result = await engine.attribute(
 *     { a, b, layer, steps: N | 'auto', mode: 'exact' | 'approx', sim: 'cos' | 'dot',
 *       rule?,          // 'auto' | 'clenshaw-curtis' | 'romberg' | 'trapezoid' | 'nested-midpoint' | 'midpoint' | 'right' (parameters.ts; impliedRule)
 *       tolerance?,     // steps 'auto': stop once errorEstimate ≤ tolerance
 *       method?, reference?, chunkSize?, model? },
 *     { onPartial?, onProgress?, signal? });
 *   engine.clearCache();
 *   engine.cachedP(text, { layer, steps, rule?, reference?, method?, mode? });  // one text's P, if cached
 *   engine.stats;                             // { textsComputed, pointsComputed, cacheHits }
 *
 * A run goes level by level through the rule's plan (quadrature.ts): one level for a
 * fixed rule, log₂ N + 1 nested levels for clenshaw-curtis, romberg and trapezoid, up
 * to log₃ N + 1 for nested-midpoint. After every complete
 * level but the last it calls onPartial with a result that is itself a proper rule
 * (final: false); between levels only onProgress reports the points done. With steps
 * 'auto' it stops at the first level (of AUTO_MIN_EVALUATIONS points or more) whose errorEstimate is at
 * most the tolerance, or at the last level within AUTO_MAX_EVALUATIONS points.
 *
 * AttributionResult: tokensA/B (pieces), wordsA/B (token → word index; see words.ts for
 * word-level sums), wordLabelsA/B and specialA/B (the tokenizer's words and its tokens
 * without text, model/words.ts), matrix (Float32Array, row-major rows × cols = S_a × S_b), prediction
 * (s(a, b) of the unmodified model, in both modes), shiftedPrediction (s of ẽ = f − f(r)
 * for the model whose attributions are shown), referenceTerms {aRb, rAb, rArB} (0 in
 * exact mode), target, sum (ΣA), integrationError (sum − target), and how it was made:
 * rule (the rule that ran, auto resolved), steps and tolerance as asked, level and
 * evaluations (integrand points per text behind this estimate), final, converged (steps 'auto'), errorEstimate and
 * completeness (each text's L2 completeness residual; convergence.ts), layer, mode, sim,
 * method, reference, ms (elapsed since the call), droppedTokensA/B, attributionModel (id
 * of the model whose P is shown) and exactModel ('fine-tuned', 'checkpoint', 'shifted'
 * or null; see below).
 *
 * Modes (docs/method.md, "Exact and approximate"): Approximate attributes the unmodified
 * model. Exact attributes the exact variant when the engine was given one
 * (exactModel 'fine-tuned': its own weights, so its own P and cache entries), else the
 * unmodified model shifted by its reference, not fine-tuned (exactModel 'shifted':
 * same P as Approximate). Either way the reference terms are 0 and the sum rule's
 * target is shiftedPrediction; prediction stays the unmodified model's.
 *
 * Errors: AttributionInputError for a bad request (thrown before anything is
 * computed or allocated), AttributionAbortedError (name 'AbortError') when the signal
 * fires; checked before each chunk.
 *
 * Cost model: a text's level sums are computed once per (model, text, layer, rule,
 * reference, method; and N for fixed rules) and cached as plain Float32Arrays; a nested
 * run continues from the levels cached. Mode and similarity only change the
 * normalisation and the target, so switching them reuses P.
 */
import * as tf from '@tensorflow/tfjs-core';
import { embedIds, type SentenceEncoder, type TokenizedText } from '../model/encoder.ts';
import { referenceProblem, type Reference } from '../model/reference.ts';
import type { TangentEncoder } from '../model/tangent.ts';
import { nextTurn } from '../shared/next-turn.ts';
import { completenessResidual, errorEstimate, levelChange } from './convergence.ts';
import { tangentEncoderFor } from './encoders.ts';
import { AttributionAbortedError, AttributionInputError } from './errors.ts';
import { pairValues, similarity, type PairValues, type ReferenceTerms, type SideValues } from './pairing.ts';
import {
  AUTO_MIN_EVALUATIONS,
  AUTO_RULE,
  choiceProblem,
  impliedRule,
  integerProblem,
  listed,
  numberProblem,
  PARAMETERS,
  rulesFor,
  type AttributionMethod,
  type ConcreteRule,
  type PairMode,
  type QuadratureRule,
  type Similarity,
  type Steps,
} from './parameters.ts';
import { gridKey, isNested, quadraturePlan, type QuadraturePlan } from './quadrature.ts';
import { DEFAULT_ROW_BUDGET, jvpChunk, loadGradients, vjpChunk, type PathTensors } from './routes.ts';
import { levelBytes, sideValues, TextRun, type TextLevels } from './text-levels.ts';

export type { AttributionMethod, ConcreteRule, PairMode, QuadratureRule, Reference, ReferenceTerms, Similarity, Steps };

/**
 * α points per chunk on the tangent route for texts of up to `sMax` tokens: as many as
 * the row budget allows, but at most steps/16, so progress reports come often
 * (bench: chunks of 4 instead of 16 at N = 64 cost 0.94–1.15× in total on WASM). The
 * benchmark counts FLOPs with this same function.
 */
export function defaultJvpChunkSize(steps: number, sMax: number, rowBudget: number = DEFAULT_ROW_BUDGET): number {
  const progressCap = Math.max(1, Math.floor(steps / 16));
  return Math.max(1, Math.min(16, progressCap, Math.floor(rowBudget / (sMax * sMax))));
}

export interface AttributionRequest {
  a: string;
  b: string;
  layer: number;
  /** A power of two (points of a fixed rule, intervals of a nested one), or 'auto'. */
  steps: Steps;
  mode: PairMode;
  sim: Similarity;
  method?: AttributionMethod;
  /** Default: impliedRule(steps) ('auto' with steps 'auto', else 'midpoint'). */
  rule?: QuadratureRule;
  /** steps 'auto': the largest errorEstimate to stop at (default PARAMETERS.tol.default). */
  tolerance?: number;
  reference?: Reference;
  /**
   * Names of the model's prompts (SentenceEncoder.prompts) put before text A and B,
   * e.g. "query" and "passage"; none by default.
   */
  promptA?: string;
  promptB?: string;
  chunkSize?: number;
  /** When given, must name the engine's model (guards hosts that hold several). */
  model?: string;
}

export interface AttributionResult {
  tokensA: string[];
  tokensB: string[];
  wordsA: number[];
  wordsB: number[];
  /** Display text of each word of A and B, as the model's tokenizer joins its pieces. */
  wordLabelsA: string[];
  wordLabelsB: string[];
  /** Tokens without text of their own (frame tokens, bare separators, a prompt's), as the model's tokenizer says. */
  specialA: boolean[];
  specialB: boolean[];
  /** The prompts put before A and B (names of the model's prompts), or null. */
  promptA: string | null;
  promptB: string | null;
  matrix: Float32Array;
  rows: number;
  cols: number;
  prediction: number;
  shiftedPrediction: number;
  referenceTerms: ReferenceTerms;
  target: number;
  sum: number;
  integrationError: number;
  /** The quadrature rule that ran ('auto' resolved for the model). */
  rule: ConcreteRule;
  /** The rule as asked ('auto', or the rule itself). */
  ruleRequested: QuadratureRule;
  /** As asked: a number, or 'auto'. */
  steps: Steps;
  /** steps 'auto': the tolerance; else null. */
  tolerance: number | null;
  /** The quadrature level behind this estimate (0 for fixed rules). */
  level: number;
  /** Integrand points per text behind this estimate. */
  evaluations: number;
  /** The last estimate of this run; partial results are complete levels, never passed off as final. */
  final: boolean;
  /** steps 'auto': whether errorEstimate reached the tolerance; else null. */
  converged: boolean | null;
  /** Estimated ‖A − A_exact‖ / ‖A_exact‖ (convergence.ts). */
  errorEstimate: number;
  /** Nested rules from level 1: ‖A − A'‖ / ‖A‖ against the rule's lower-order companion; else null. */
  levelChange: number | null;
  /** Each text's completeness residual ‖Σ_i P[:, i] − (f(x) − f(r))‖ / ‖f(x) − f(r)‖. */
  completeness: { a: number; b: number };
  layer: number;
  mode: PairMode;
  sim: Similarity;
  method: AttributionMethod;
  reference: Reference;
  ms: number;
  droppedTokensA: number;
  droppedTokensB: number;
  /** Id of the model whose attributions (and shiftedPrediction) these are. */
  attributionModel: string;
  /**
   * Exact mode: 'fine-tuned' when attributionModel is the model's exact variant,
   * 'shifted' when it is the unmodified model shifted by its reference (not
   * fine-tuned, so shiftedPrediction can differ a lot from prediction). Approximate: null.
   */
  exactModel: ExactModelKind | null;
}

/**
 * 'fine-tuned': the model's exact variant (shifted and fine-tuned); 'checkpoint': the
 * model is itself an exact checkpoint (the papers' shifted model), so it is attributed
 * as it is; 'shifted': the model shifted by its reference, not fine-tuned.
 */
export type ExactModelKind = 'fine-tuned' | 'checkpoint' | 'shifted';

/** One text's attributions P (as Pᵀ, [S, D] row-major), with f(x) and f(r). */
export interface TextAttribution extends SideValues {
  tokens: number;
  pieces: string[];
  words: number[];
}

/** What one text's P depends on; `mode` picks the model (default: the unmodified one). */
export type TextKey = Pick<AttributionRequest, 'layer' | 'steps' | 'rule' | 'reference' | 'method'> & { mode?: PairMode; prompt?: string };

/** Points of the level under way, per text: what a progress bar shows between levels. */
export interface AttributionProgress {
  /** Points per text evaluated so far in this run's plan. */
  stepsDone: number;
  /** Points per text once the level under way is complete. */
  levelEvaluations: number;
  level: number;
}

export interface AttributeOptions {
  onPartial?: (partial: AttributionResult) => void;
  onProgress?: (progress: AttributionProgress) => void;
  signal?: AbortSignal;
}

export interface EngineOptions {
  /** Texts whose P the cache keeps (least recently used dropped first). */
  cacheSize?: number;
  /** Bytes of level sums the cache keeps at most (default 128 MB): a nested text holds up to 11 levels (Clenshaw–Curtis: up to 66 channel sums). */
  cacheBytes?: number;
  /** Rows one batched op may hold; see DEFAULT_ROW_BUDGET. */
  rowBudget?: number;
  /**
   * The model's exact variant (same tokenizer and layers, shifted and fine-tuned),
   * attributed in exact mode. Without it exact mode shifts the model itself.
   */
  exactVariant?: SentenceEncoder;
}

export interface EngineStats {
  /** Texts whose P was computed (not taken from the cache). */
  textsComputed: number;
  /** α points evaluated, summed over texts. */
  pointsComputed: number;
  cacheHits: number;
}

/** A request with every default filled in and 'auto' rules resolved. */
type FullRequest = Required<Omit<AttributionRequest, 'rule' | 'tolerance' | 'model' | 'chunkSize' | 'promptA' | 'promptB'>> & {
  promptA: string | null;
  promptB: string | null;
  rule: ConcreteRule;
  ruleRequested: QuadratureRule;
  tolerance: number | null;
  chunkSize?: number;
};

function isInteger(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

export class AttributionEngine {
  readonly stats: EngineStats = { textsComputed: 0, pointsComputed: 0, cacheHits: 0 };
  private readonly tangent: TangentEncoder | undefined;
  readonly exactVariant: SentenceEncoder | undefined;
  private readonly exactTangent: TangentEncoder | undefined;
  private readonly cache = new Map<string, TextLevels>();
  private readonly cacheSize: number;
  private readonly cacheBytes: number;
  private readonly rowBudget: number;

  constructor(
    readonly model: SentenceEncoder,
    options: EngineOptions = {},
  ) {
    this.tangent = tangentEncoderFor(model);
    this.exactVariant = options.exactVariant;
    if (this.exactVariant) {
      if (this.exactVariant.numLayers !== model.numLayers || this.exactVariant.outputSize !== model.outputSize) {
        throw new AttributionInputError(`exact model "${this.exactVariant.id}" does not have the layers and output size of "${model.id}"`);
      }
      if (this.exactVariant.id === model.id) {
        throw new AttributionInputError(`exact model must have its own id (cache entries are keyed by model id), got "${model.id}"`);
      }
    }
    this.exactTangent = this.exactVariant && tangentEncoderFor(this.exactVariant);
    this.cacheSize = options.cacheSize ?? 64;
    this.cacheBytes = options.cacheBytes ?? 128 * 2 ** 20;
    this.rowBudget = options.rowBudget ?? DEFAULT_ROW_BUDGET;
  }

  clearCache(): void {
    this.cache.clear();
  }

  get cachedTexts(): number {
    return this.cache.size;
  }

  /**
   * One text's P from the cache (computes nothing): with a number of steps, only when
   * every level of that plan is there; with 'auto', at the deepest level cached (where
   * a pair's run stopped depends on both texts). Undefined when not cached.
   */
  cachedP(text: string, key: TextKey): TextAttribution | undefined {
    const req = this.validate({ a: text, b: text, sim: 'cos', ...key, promptA: key.prompt, mode: key.mode ?? 'approx' });
    const entry = this.cache.get(this.cacheKey(text, req.promptA, req));
    const plan = this.plan(req);
    const cached = Math.min(plan.levels.length, entry?.levels.length ?? 0);
    const complete = req.steps === 'auto' ? cached > 0 : cached === plan.levels.length;
    if (!entry || !complete) return undefined;
    return { ...sideValues(entry, plan.weights(cached - 1)), pieces: entry.tokens.pieces, words: entry.tokens.words };
  }

  async attribute(request: AttributionRequest, options: AttributeOptions = {}): Promise<AttributionResult> {
    const started = performance.now();
    const req = this.validate(request);
    const { signal, onPartial, onProgress } = options;
    if (signal?.aborted) throw new AttributionAbortedError();
    if (req.method === 'vjp') await loadGradients();

    const attributed = this.attributedModel(req);
    const tokens = [attributed.tokenize(req.a, this.promptText(req.promptA)), attributed.tokenize(req.b, this.promptText(req.promptB))];
    // With an exact variant, "prediction" still comes from the unmodified model.
    const unmodified = attributed === this.model ? undefined : await this.embeddings(this.model, tokens);
    if (signal?.aborted) throw new AttributionAbortedError();
    const exactModel = req.mode === 'approx' ? null : this.exactKind(attributed);
    const keys = [this.cacheKey(req.a, req.promptA, req), this.cacheKey(req.b, req.promptB, req)];
    const plan = this.plan(req);
    const lastLevel = plan.levels.length - 1;
    const auto = req.steps === 'auto';
    const texts: (TextLevels | undefined)[] = keys.map((k) => this.cacheGet(k));
    const runs = new Map<string, TextRun>();
    const chunkSize = req.chunkSize ?? this.defaultChunkSize(req, plan, tokens);

    const assemble = (values: PairValues, sides: SideValues[], level: number, change: number | null): AttributionResult => {
      if (unmodified) values.prediction = similarity(unmodified[0], unmodified[1], req.sim);
      const completeness = { a: completenessResidual(sides[0]), b: completenessResidual(sides[1]) };
      const estimate = errorEstimate(req.rule, change, [completeness.a, completeness.b]);
      const final = level === lastLevel || (auto && plan.evaluations(level) >= AUTO_MIN_EVALUATIONS && estimate <= req.tolerance!);
      return {
        tokensA: tokens[0].pieces,
        tokensB: tokens[1].pieces,
        wordsA: tokens[0].words,
        wordsB: tokens[1].words,
        wordLabelsA: tokens[0].wordLabels,
        wordLabelsB: tokens[1].wordLabels,
        specialA: tokens[0].special,
        specialB: tokens[1].special,
        promptA: req.promptA,
        promptB: req.promptB,
        ...values,
        rows: sides[0].tokens,
        cols: sides[1].tokens,
        rule: req.rule,
        ruleRequested: req.ruleRequested,
        steps: req.steps,
        tolerance: req.tolerance,
        level,
        evaluations: plan.evaluations(level),
        final,
        converged: auto && final ? estimate <= req.tolerance! : null,
        errorEstimate: estimate,
        levelChange: change,
        completeness,
        layer: req.layer,
        mode: req.mode,
        sim: req.sim,
        method: req.method,
        reference: req.reference,
        ms: performance.now() - started,
        droppedTokensA: tokens[0].droppedTokens,
        droppedTokensB: tokens[1].droppedTokens,
        attributionModel: attributed.id,
        exactModel,
      };
    };

    try {
      for (let level = 0; level <= lastLevel; level++) {
        // Texts that lack this level compute it in lockstep (a text given twice, once).
        const pending = new Map<string, TextRun>();
        for (let side = 0; side < 2; side++) {
          if ((texts[side]?.levels.length ?? 0) > level || pending.has(keys[side])) continue;
          let run = runs.get(keys[side]);
          if (!run) {
            run = await TextRun.start(attributed, tokens[side], req.layer, req.reference, texts[side]);
            runs.set(keys[side], run);
            // Checked after every await: a host may free the model once it has cancelled.
            if (signal?.aborted) throw new AttributionAbortedError();
          }
          pending.set(keys[side], run);
        }
        const points = plan.levels[level];
        const channels = plan.channels(level);
        const before = level === 0 ? 0 : plan.evaluations(level - 1);
        for (let start = 0; start < points.length && pending.size > 0; start += chunkSize) {
          // A host's "cancel" message must get a turn between chunks.
          if (signal) await nextTurn();
          if (signal?.aborted) throw new AttributionAbortedError();
          const alphas = points.slice(start, start + chunkSize);
          const weights = channels.map((c) => c.slice(start, start + chunkSize));
          for (const run of pending.values()) {
            await run.step(alphas, weights, (group) => this.chunk(req, run.path, group));
            this.stats.pointsComputed += alphas.length;
            if (signal?.aborted) throw new AttributionAbortedError();
          }
          onProgress?.({ stepsDone: before + start + alphas.length, levelEvaluations: plan.evaluations(level), level });
        }
        // Each complete level is cached at once, so a cancelled run's levels serve the next request.
        for (const [key, run] of pending) {
          run.completeLevel(level);
          this.cacheSet(key, run.text);
        }
        keys.forEach((key, side) => (texts[side] = runs.get(key)?.text ?? texts[side]));

        const levelTexts = texts as TextLevels[];
        const sides = levelTexts.map((t) => sideValues(t, plan.weights(level)));
        const values = pairValues(sides[0], sides[1], req.mode, req.sim);
        let change: number | null = null;
        if (plan.companionWeights && level > 0) {
          const companion = levelTexts.map((t) => sideValues(t, plan.companionWeights!(level)));
          change = levelChange(values.matrix, pairValues(companion[0], companion[1], req.mode, req.sim).matrix);
        }
        const result = assemble(values, sides, level, change);
        if (result.final) {
          this.stats.textsComputed += runs.size;
          this.stats.cacheHits += keys.filter((k) => !runs.has(k)).length;
          return result;
        }
        onPartial?.(result);
      }
      throw new Error('unreachable: the last level ends every run');
    } finally {
      for (const run of runs.values()) run.dispose();
    }
  }

  private chunk(req: FullRequest, path: PathTensors, alphas: readonly number[]): tf.Tensor2D {
    const exact = this.attributedModel(req) !== this.model;
    if (req.method === 'vjp') return vjpChunk(this.attributedModel(req), req.layer, path, alphas, this.rowBudget);
    // validate() has made sure a tangent view exists for the jvp method.
    return jvpChunk((exact ? this.exactTangent : this.tangent)!, req.layer, path, alphas, this.rowBudget);
  }

  /** The rule's plan: N steps as asked, or the largest nested plan steps 'auto' may use. */
  private plan(req: Pick<FullRequest, 'rule' | 'steps'>): QuadraturePlan {
    return quadraturePlan(req.rule, req.steps);
  }

  private exactKind(attributed: SentenceEncoder): ExactModelKind {
    if (attributed !== this.model) return 'fine-tuned';
    return this.model.exact ? 'checkpoint' : 'shifted';
  }

  /** The model whose P a request shows: the exact variant in exact mode, when there is one. */
  private attributedModel(req: Pick<FullRequest, 'mode'>): SentenceEncoder {
    return req.mode === 'exact' && this.exactVariant ? this.exactVariant : this.model;
  }

  /** f(a), f(b) of `model` (one small forward pass per text). */
  private async embeddings(model: SentenceEncoder, tokens: TokenizedText[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const t of tokens) out.push(await embedIds(model, t.ids));
    return out;
  }

  /**
   * Enough points per chunk to fill one batched op for the longer text, at most 16
   * so progress keeps coming; the reverse route's chunks cost D passes per point, so
   * it reports after every few points.
   */
  private defaultChunkSize(req: FullRequest, plan: QuadraturePlan, tokens: TokenizedText[]): number {
    if (req.method === 'vjp') return 4;
    const points = plan.evaluations(plan.levels.length - 1);
    return defaultJvpChunkSize(points, Math.max(tokens[0].ids.length, tokens[1].ids.length), this.rowBudget);
  }

  /**
   * A nested rule's levels serve it for every N and tolerance, and trapezoid and Romberg
   * share theirs (the same dyadic points and sums, other weights): a run continues from
   * the levels cached (quadrature.ts, gridKey).
   */
  private cacheKey(text: string, prompt: string | null, req: FullRequest): string {
    const grid = gridKey(req.rule, req.steps);
    return JSON.stringify([this.attributedModel(req).id, text, prompt, req.layer, grid, req.reference, req.method]);
  }

  /** The text of a prompt named in a validated request ('' for none). */
  private promptText(name: string | null): string {
    return name === null ? '' : (this.model.prompts?.[name] ?? '');
  }

  private cacheGet(key: string): TextLevels | undefined {
    const entry = this.cache.get(key);
    if (entry) {
      // Re-insert so Map order is least recently used first.
      this.cache.delete(key);
      this.cache.set(key, entry);
    }
    return entry;
  }

  private cacheSet(key: string, entry: TextLevels): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    const bytes = levelBytes;
    let total = [...this.cache.values()].reduce((sum, t) => sum + bytes(t), 0);
    // Least recently used first; the entry just set stays, whatever its size.
    while (this.cache.size > 1 && (this.cache.size > this.cacheSize || total > this.cacheBytes)) {
      const oldest = this.cache.keys().next().value as string;
      total -= bytes(this.cache.get(oldest)!);
      this.cache.delete(oldest);
    }
  }

  /** Checks everything before any tensor exists, and fills in the defaults. */
  private validate(req: AttributionRequest): FullRequest {
    const fail = (message: string): never => {
      throw new AttributionInputError(message);
    };
    if (req.model !== undefined && req.model !== this.model.id) {
      fail(`unknown model "${req.model}": this engine holds "${this.model.id}"`);
    }
    for (const [name, text] of [['a', req.a], ['b', req.b]] as const) {
      if (typeof text !== 'string' || text.trim() === '') fail(`text ${name} is empty`);
    }
    const problem = (p: string | undefined) => p !== undefined && fail(p);
    problem(integerProblem(PARAMETERS.layer, req.layer, this.model.numLayers - 1));
    problem(integerProblem(PARAMETERS.steps, req.steps));
    problem(choiceProblem(PARAMETERS.mode, req.mode));
    problem(choiceProblem(PARAMETERS.sim, req.sim));
    const method = req.method ?? PARAMETERS.method.default;
    problem(choiceProblem(PARAMETERS.method, method));
    if (method === 'jvp' && !this.tangent) fail(`model "${this.model.id}" has no tangent rules; use method "vjp"`);
    if (method === 'jvp' && req.mode === 'exact' && this.exactVariant && !this.exactTangent) {
      fail(`exact model "${this.exactVariant.id}" has no tangent rules; use method "vjp"`);
    }
    const ruleRequested = impliedRule(req.steps, req.rule);
    problem(choiceProblem(PARAMETERS.rule, ruleRequested));
    const rule: ConcreteRule = ruleRequested === 'auto' ? this.autoRule(req.mode) : ruleRequested;
    if (req.steps === 'auto' && !isNested(rule)) {
      fail(`steps auto refines level by level, which the ${rule} rule cannot: use a nested rule (${listed(rulesFor('auto'))})`);
    }
    const tolerance = req.steps === 'auto' ? (req.tolerance ?? PARAMETERS.tol.default) : null;
    if (tolerance !== null) problem(numberProblem(PARAMETERS.tol, tolerance));
    if (req.chunkSize !== undefined && (!isInteger(req.chunkSize) || req.chunkSize < 1)) {
      fail(`chunkSize must be a positive integer, got ${String(req.chunkSize)}`);
    }
    const prompt = (name: string | undefined): string | null => {
      if (name === undefined || name === '') return null;
      const prompts = this.model.prompts ?? {};
      if (typeof name !== 'string' || !Object.hasOwn(prompts, name)) {
        const known = Object.keys(prompts);
        fail(`model "${this.model.id}" has no prompt "${String(name)}"${known.length > 0 ? ` (it has ${listed(known)})` : ' (it has none)'}`);
      }
      return name;
    };
    return {
      a: req.a,
      b: req.b,
      layer: req.layer,
      steps: req.steps,
      mode: req.mode,
      sim: req.sim,
      method,
      rule,
      ruleRequested,
      tolerance,
      reference: this.validReference(req.reference, fail),
      promptA: prompt(req.promptA),
      promptB: prompt(req.promptB),
      chunkSize: req.chunkSize,
    };
  }

  /**
   * The nested rule for the attributed model (parameters.ts, AUTO_RULE): Clenshaw–Curtis
   * where the path integrand is smooth (it then needs far fewer points), nested midpoint
   * where kinks make every rule low order (never worse than midpoint at equal points).
   */
  private autoRule(mode: PairMode): ConcreteRule {
    return this.attributedModel({ mode }).smooth ? AUTO_RULE.smooth : AUTO_RULE.kinked;
  }

  private validReference(reference: Reference | undefined, fail: (message: string) => never): Reference {
    if (reference === undefined) return this.model.defaultReference;
    const models = this.exactVariant ? [this.model, this.exactVariant] : [this.model];
    const problem = referenceProblem(reference, models);
    if (problem) fail(problem);
    // A copy: the request's object could carry other fields into cache keys.
    return reference.kind === 'token' ? { kind: 'token', id: reference.id } : { kind: reference.kind };
  }
}
