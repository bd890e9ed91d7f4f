/**
 * Matmul FLOP counts for a model's forward pass and its tangent (JVP) from the widths
 * the model reports (SentenceEncoder.dims, src/model/dims.ts), following the
 * batching of routes.ts's jvpChunk exactly, so "achieved GFLOP/s" divides the work the
 * tangent route really did by the time it took. See bench/README.md for the formula.
 *
 * Only matrix products are counted (2 FLOPs per multiply-add): LayerNorm, softmax,
 * ReLU, tanh, the tangent rules' element-wise products, reshapes and transposes are
 * left out, so the achieved rate is a slight underestimate of all arithmetic done.
 */
import { DEFAULT_ROW_BUDGET } from '../src/attribution/routes.ts';
import { defaultJvpChunkSize } from '../src/attribution/engine.ts';
import type { ModelDims, LayerDims } from '../src/model/dims.ts';

function headMacs(dims: ModelDims): number {
  return dims.head.reduce((sum, [i, o]) => sum + i * o, 0);
}

/** Multiply-adds per token of the layer's dense (position-wise) matmuls. */
function denseMacsPerToken(d: LayerDims): number {
  return (
    (d.denseResidual ? d.hIn * d.hOut : 0) + // residual projection (layer 0)
    d.hIn * (d.attn + 2 * (d.kv ?? d.attn)) + // Q, K, V
    d.attn * d.hOut + // attention output transform
    d.hOut * d.ffn * (d.gated ? 2 : 1) + // FFN in (gate and up when gated)
    d.ffn * d.hOut // FFN out
  );
}

/** Forward matmul FLOPs of layer `l` for `b` sequences of `s` tokens. */
export function layerForwardFlops(dims: ModelDims, l: number, b: number, s: number): number {
  const d = dims.layers[l];
  // Q·Kᵀ and P·V over all heads: 2 products of s × s × attn MACs each.
  return 2 * b * (s * denseMacsPerToken(d) + 2 * s * s * d.attn);
}

/**
 * Tangent matmul FLOPs of layer `l` for `r` tangent sequences (α points × directions)
 * of `s` tokens: every dense product once per tangent row (ẋW), and four attention
 * products (Q̇Kᵀ, K̇Qᵀ, ṖV, PV̇) instead of the forward's two.
 */
export function layerTangentFlops(dims: ModelDims, l: number, r: number, s: number): number {
  const d = dims.layers[l];
  return 2 * r * (s * denseMacsPerToken(d) + 4 * s * s * d.attn);
}

/** g_L's forward matmul FLOPs (layers L..n−1 and the head) for b sequences. */
export function encodeFromFlops(dims: ModelDims, layer: number, b: number, s: number): number {
  let f = 2 * b * headMacs(dims);
  for (let l = layer; l < dims.layers.length; l++) f += layerForwardFlops(dims, l, b, s);
  return f;
}

/** g_L's forward + tangent FLOPs for b primal sequences carrying t directions each. */
export function encodeFromJvpFlops(dims: ModelDims, layer: number, b: number, t: number, s: number): number {
  let f = encodeFromFlops(dims, layer, b, s) + 2 * b * t * headMacs(dims);
  for (let l = layer; l < dims.layers.length; l++) f += layerTangentFlops(dims, l, b * t, s);
  return f;
}

/** FLOPs of one jvpChunk call on `points` α points for a text of s tokens (same batching as routes.ts). */
export function jvpChunkFlops(dims: ModelDims, layer: number, s: number, points: number, rowBudget = DEFAULT_ROW_BUDGET): number {
  const alphaBatch = Math.max(1, Math.min(points, Math.floor(rowBudget / (s * s))));
  const directionBatch = Math.max(1, Math.min(s, Math.floor(rowBudget / (alphaBatch * s))));
  let f = 0;
  for (let a0 = 0; a0 < points; a0 += alphaBatch) {
    const n = Math.min(points, a0 + alphaBatch) - a0;
    // The primal is recomputed for every group of directions.
    for (let t0 = 0; t0 < s; t0 += directionBatch) f += encodeFromJvpFlops(dims, layer, n, Math.min(s, t0 + directionBatch) - t0, s);
  }
  return f;
}

/** The engine's default tangent chunk size: the engine's own function, so the two never drift. */
export const engineJvpChunkSize = defaultJvpChunkSize;

/**
 * FLOPs of one text's P by the tangent route inside AttributionEngine.attribute:
 * the path (hidden states of text and reference up to layer L), f(x) and f(r), then
 * every chunk of α points.
 */
export function textJvpFlops(dims: ModelDims, layer: number, s: number, steps: number, chunkSize: number, rowBudget = DEFAULT_ROW_BUDGET): number {
  let f = 0;
  for (let l = 0; l < layer; l++) f += 2 * layerForwardFlops(dims, l, 1, s); // hiddenAt for x and r
  f += encodeFromFlops(dims, layer, 2, s); // f(x), f(r)
  for (let start = 0; start < steps; start += chunkSize) {
    f += jvpChunkFlops(dims, layer, s, Math.min(steps, start + chunkSize) - start, rowBudget);
  }
  return f;
}
