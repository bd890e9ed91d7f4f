/**
 * The attribution engine: token-pair attributions A = P_aᵀ P_b for a Siamese encoder
 * (docs/method.md). No DOM, no React: the worker, the CLI and the tests drive it alike.
 *
 * Public API
 *
 *   const engine = new AttributionEngine(model);      // any SentenceEncoder; use-lite has tangent rules
 *   const engine = new AttributionEngine(model, { exactVariant });  // with the model's exact variant
 *   const result = await engine.attribute(
 *     { a, b, layer, steps, mode: 'exact' | 'approx', sim: 'cos' | 'dot',
 *       method?: 'jvp' | 'vjp',               // default 'jvp' (tangent route); 'vjp' = reverse, D backward passes
 *       rule?: 'midpoint' | 'right',          // default 'midpoint'
 *       reference?: { kind: 'token', id } | { kind: 'zeros' },  // default: use-lite's "▁" (id 30) repeated
 *       chunkSize?: number,                   // α points per chunk (partial result after each)
 *       model?: string },                     // optional check that the engine holds this model
 *     { onPartial?: (r: AttributionResult) => void, signal?: AbortSignal });
 *   engine.clearCache();
 *   engine.cachedP(text, { layer, steps, rule?, reference?, method?, mode? });  // one text's P, if cached
 *   engine.stats;                             // { textsComputed, pointsComputed, cacheHits }
 *
 * AttributionResult: tokensA/B (pieces), wordsA/B (token → word index; see words.ts for
 * word-level sums), matrix (Float32Array, row-major rows × cols = S_a × S_b), prediction
 * (s(a, b) of the unmodified model, in both modes), shiftedPrediction (s of ẽ = f − f(r)
 * for the model whose attributions are shown), referenceTerms {aRb, rAb, rArB} (0 in
 * exact mode), target, sum (ΣA), integrationError (sum − target), stepsDone/steps,
 * layer, mode, sim, method, rule, ms (elapsed since the call), droppedTokensA/B,
 * attributionModel (id of the model whose P is shown) and exactModel ('fine-tuned',
 * 'shifted' or null; see below). Partial results have the same shape with stepsDone <
 * steps, and use the running mean over the points done so far (a cached side uses its
 * full P).
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
 * Cost model: P is computed once per (model, text, layer, steps, rule, reference,
 * method) and cached as plain Float32Arrays; mode and similarity only change the
 * normalisation and the target, so switching them reuses P.
 */
import * as tf from '@tensorflow/tfjs-core';
import { embedIds, encodeFrom, type SentenceEncoder, type TokenizedText } from '../model/encoder.ts';
import type { TangentEncoder } from '../model/tangent.ts';
import { defaultReference, referenceProblem, type Reference } from '../model/reference.ts';
import { tangentEncoderFor } from './encoders.ts';
import { nextTurn } from '../shared/next-turn.ts';
import { AttributionAbortedError, AttributionInputError } from './errors.ts';
import { pairValues, similarity, type ReferenceTerms, type SideValues } from './pairing.ts';
import {
  choiceProblem,
  integerProblem,
  PARAMETERS,
  type AttributionMethod,
  type PairMode,
  type QuadratureRule,
  type Similarity,
} from './parameters.ts';
import { quadraturePoints } from './quadrature.ts';
import {
  DEFAULT_ROW_BUDGET,
  jvpChunk,
  loadGradients,
  pathTensors,
  vjpChunk,
  type PathTensors,
} from './routes.ts';

export type { AttributionMethod, PairMode, QuadratureRule, Reference, ReferenceTerms, Similarity };

/**
 * α points per chunk on the tangent route for texts of up to `sMax` tokens: as many as
 * the row budget allows, but at most steps/16, so the first partial heatmap arrives
 * within ~6% of the run (bench: chunks of 4 instead of 16 at N = 64 cost 0.94–1.15× in
 * total on WASM). The benchmark counts FLOPs with this same function.
 */
export function defaultJvpChunkSize(steps: number, sMax: number, rowBudget: number = DEFAULT_ROW_BUDGET): number {
  const firstPartialCap = Math.max(1, Math.floor(steps / 16));
  return Math.max(1, Math.min(16, firstPartialCap, Math.floor(rowBudget / (sMax * sMax))));
}

export interface AttributionRequest {
  a: string;
  b: string;
  layer: number;
  steps: number;
  mode: PairMode;
  sim: Similarity;
  method?: AttributionMethod;
  rule?: QuadratureRule;
  reference?: Reference;
  chunkSize?: number;
  /** When given, must name the engine's model (guards hosts that hold several). */
  model?: string;
}

export interface AttributionResult {
  tokensA: string[];
  tokensB: string[];
  wordsA: number[];
  wordsB: number[];
  matrix: Float32Array;
  rows: number;
  cols: number;
  prediction: number;
  shiftedPrediction: number;
  referenceTerms: ReferenceTerms;
  target: number;
  sum: number;
  integrationError: number;
  stepsDone: number;
  steps: number;
  layer: number;
  mode: PairMode;
  sim: Similarity;
  method: AttributionMethod;
  rule: QuadratureRule;
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
export type TextKey = Pick<AttributionRequest, 'layer' | 'steps' | 'rule' | 'reference' | 'method'> & { mode?: PairMode };

export interface AttributeOptions {
  onPartial?: (partial: AttributionResult) => void;
  signal?: AbortSignal;
}

export interface EngineOptions {
  /** Texts whose P the cache keeps (least recently used dropped first). */
  cacheSize?: number;
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

/** A request with every default filled in. */
type FullRequest = Required<Omit<AttributionRequest, 'model' | 'chunkSize'>> & { chunkSize?: number };

/** One text's P and embeddings, as kept in the cache. */
interface SideEntry {
  tokens: TokenizedText;
  values: SideValues;
}

/** One text's P being computed: reference and Δ stay on the device between chunks. */
class SideJob {
  readonly sum: Float64Array;
  done = 0;
  private constructor(
    readonly tokens: TokenizedText,
    readonly path: PathTensors,
    readonly embedding: Float32Array,
    readonly referenceEmbedding: Float32Array,
    outputSize: number,
  ) {
    this.sum = new Float64Array(tokens.ids.length * outputSize);
  }

  static async start(model: SentenceEncoder, tokens: TokenizedText, req: FullRequest): Promise<SideJob> {
    const path = pathTensors(model, tokens.ids, req.layer, req.reference);
    try {
      const both = tf.tidy(() => encodeFrom(model, req.layer, tf.concat([path.x, path.r], 0) as tf.Tensor3D));
      const data = (await both.data()) as Float32Array;
      both.dispose();
      const d = model.outputSize;
      return new SideJob(tokens, path, data.slice(0, d), data.slice(d, 2 * d), d);
    } catch (error) {
      tf.dispose([path.x, path.r, path.delta]);
      throw error;
    }
  }

  /** Adds the chunk's Σ_α (∂g/∂x · v_i) to the running sum, reading back once. */
  async step(chunk: () => tf.Tensor2D, points: number): Promise<void> {
    const t = chunk();
    const data = await t.data();
    t.dispose();
    for (let k = 0; k < data.length; k++) this.sum[k] += data[k];
    this.done += points;
  }

  /** The running mean: P estimated from the points done so far. */
  values(): SideValues {
    const pt = new Float32Array(this.sum.length);
    const n = Math.max(1, this.done);
    for (let k = 0; k < pt.length; k++) pt[k] = this.sum[k] / n;
    return {
      pt,
      tokens: this.tokens.ids.length,
      embedding: this.embedding,
      referenceEmbedding: this.referenceEmbedding,
    };
  }

  dispose(): void {
    tf.dispose([this.path.x, this.path.r, this.path.delta]);
  }
}

function isInteger(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

export class AttributionEngine {
  readonly stats: EngineStats = { textsComputed: 0, pointsComputed: 0, cacheHits: 0 };
  private readonly tangent: TangentEncoder | undefined;
  readonly exactVariant: SentenceEncoder | undefined;
  private readonly exactTangent: TangentEncoder | undefined;
  private readonly cache = new Map<string, SideEntry>();
  private readonly cacheSize: number;
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
    this.rowBudget = options.rowBudget ?? DEFAULT_ROW_BUDGET;
  }

  clearCache(): void {
    this.cache.clear();
  }

  get cachedTexts(): number {
    return this.cache.size;
  }

  /** One text's P from the cache (computes nothing; undefined when not cached). */
  cachedP(text: string, key: TextKey): TextAttribution | undefined {
    const req = this.validate({ a: text, b: text, sim: 'cos', ...key, mode: key.mode ?? 'approx' });
    const entry = this.cache.get(this.cacheKey(text, req));
    if (!entry) return undefined;
    return { ...entry.values, pieces: entry.tokens.pieces, words: entry.tokens.words };
  }

  async attribute(request: AttributionRequest, options: AttributeOptions = {}): Promise<AttributionResult> {
    const started = performance.now();
    const req = this.validate(request);
    const { signal, onPartial } = options;
    if (signal?.aborted) throw new AttributionAbortedError();
    if (req.method === 'vjp') await loadGradients();

    const attributed = this.attributedModel(req);
    const tokens = [attributed.tokenize(req.a), attributed.tokenize(req.b)];
    // With an exact variant, "prediction" still comes from the unmodified model.
    const unmodified = attributed === this.model ? undefined : await this.embeddings(this.model, tokens);
    if (signal?.aborted) throw new AttributionAbortedError();
    const exactModel = req.mode === 'approx' ? null : this.exactKind(attributed);
    const keys = [this.cacheKey(req.a, req), this.cacheKey(req.b, req)];
    const entries = keys.map((k) => this.cacheGet(k));
    const points = quadraturePoints(req.steps, req.rule);
    const jobs = new Map<string, SideJob>();

    const assemble = (sides: SideValues[], stepsDone: number): AttributionResult => {
      const values = pairValues(sides[0], sides[1], req.mode, req.sim);
      if (unmodified) values.prediction = similarity(unmodified[0], unmodified[1], req.sim);
      return {
        tokensA: tokens[0].pieces,
        tokensB: tokens[1].pieces,
        wordsA: tokens[0].words,
        wordsB: tokens[1].words,
        ...values,
        rows: sides[0].tokens,
        cols: sides[1].tokens,
        stepsDone,
        steps: req.steps,
        layer: req.layer,
        mode: req.mode,
        sim: req.sim,
        method: req.method,
        rule: req.rule,
        reference: req.reference,
        ms: performance.now() - started,
        droppedTokensA: tokens[0].droppedTokens,
        droppedTokensB: tokens[1].droppedTokens,
        attributionModel: attributed.id,
        exactModel,
      };
    };

    try {
      for (let side = 0; side < 2; side++) {
        if (entries[side] || jobs.has(keys[side])) continue;
        jobs.set(keys[side], await SideJob.start(attributed, tokens[side], req));
        // Checked after every await: a host may free the model once it has cancelled.
        if (signal?.aborted) throw new AttributionAbortedError();
      }
      const sideValues = (side: number): SideValues => entries[side]?.values ?? jobs.get(keys[side])!.values();

      const chunkSize = req.chunkSize ?? this.defaultChunkSize(req, tokens);
      for (let start = 0; start < points.length && jobs.size > 0; start += chunkSize) {
        // A host's "cancel" message must get a turn between chunks.
        if (signal) await nextTurn();
        if (signal?.aborted) throw new AttributionAbortedError();
        const alphas = points.slice(start, start + chunkSize);
        // Lockstep: every side in progress advances by the same chunk, so a partial
        // result pairs estimates from the same points.
        for (const job of jobs.values()) {
          await job.step(() => this.chunk(req, job.path, alphas), alphas.length);
          this.stats.pointsComputed += alphas.length;
          if (signal?.aborted) throw new AttributionAbortedError();
        }
        const done = start + alphas.length;
        if (done < req.steps && onPartial) onPartial(assemble([sideValues(0), sideValues(1)], done));
      }
      if (signal?.aborted) throw new AttributionAbortedError();

      for (const [key, job] of jobs) {
        this.cacheSet(key, { tokens: job.tokens, values: job.values() });
        this.stats.textsComputed++;
      }
      this.stats.cacheHits += entries.filter(Boolean).length;
      return assemble([sideValues(0), sideValues(1)], req.steps);
    } finally {
      for (const job of jobs.values()) job.dispose();
    }
  }

  private chunk(req: FullRequest, path: PathTensors, alphas: number[]): tf.Tensor2D {
    const exact = this.attributedModel(req) !== this.model;
    if (req.method === 'vjp') return vjpChunk(this.attributedModel(req), req.layer, path, alphas, this.rowBudget);
    // validate() has made sure a tangent view exists for the jvp method.
    return jvpChunk((exact ? this.exactTangent : this.tangent)!, req.layer, path, alphas, this.rowBudget);
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
   * so partial results keep coming; the reverse route's chunks cost D passes per
   * point, so it reports after every few points.
   */
  private defaultChunkSize(req: FullRequest, tokens: TokenizedText[]): number {
    if (req.method === 'vjp') return Math.min(req.steps, 4);
    return defaultJvpChunkSize(req.steps, Math.max(tokens[0].ids.length, tokens[1].ids.length), this.rowBudget);
  }

  private cacheKey(text: string, req: FullRequest): string {
    return JSON.stringify([this.attributedModel(req).id, text, req.layer, req.steps, req.rule, req.reference, req.method]);
  }

  private cacheGet(key: string): SideEntry | undefined {
    const entry = this.cache.get(key);
    if (entry) {
      // Re-insert so Map order is least recently used first.
      this.cache.delete(key);
      this.cache.set(key, entry);
    }
    return entry;
  }

  private cacheSet(key: string, entry: SideEntry): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
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
    const rule = req.rule ?? PARAMETERS.rule.default;
    problem(choiceProblem(PARAMETERS.rule, rule));
    if (req.chunkSize !== undefined && (!isInteger(req.chunkSize) || req.chunkSize < 1)) {
      fail(`chunkSize must be a positive integer, got ${String(req.chunkSize)}`);
    }
    return {
      a: req.a,
      b: req.b,
      layer: req.layer,
      steps: req.steps,
      mode: req.mode,
      sim: req.sim,
      method,
      rule,
      reference: this.validReference(req.reference, fail),
      chunkSize: req.chunkSize,
    };
  }

  private validReference(reference: Reference | undefined, fail: (message: string) => never): Reference {
    if (reference === undefined) return defaultReference(this.model);
    const models = this.exactVariant ? [this.model, this.exactVariant] : [this.model];
    const problem = referenceProblem(reference, models);
    if (problem) fail(problem);
    // A copy: the request's object could carry other fields into cache keys.
    return reference.kind === 'token' ? { kind: 'token', id: reference.id } : { kind: reference.kind };
  }
}
