/**
 * The widths a model's matrix products have, layer by layer: what the benchmark's
 * FLOP count (bench/flops.ts) needs to turn a time into achieved GFLOP/s. Each
 * encoder reports its own (SentenceEncoder.dims), read from its weights or config.
 */

/** One layer's widths. */
export interface LayerDims {
  /** Width of the layer's input (use-lite: 256 for layer 0, 512 for layer 1). */
  hIn: number;
  /** Attention width a: the queries (heads × head width). */
  attn: number;
  /** Width of K and of V when narrower than the queries (grouped-query attention); default a. */
  kv?: number;
  /** Output width of the layer. */
  hOut: number;
  /** FFN inner width. */
  ffn: number;
  /** A gated FFN (GeGLU, SwiGLU): two input projections hOut → ffn (gate and up) instead of one. */
  gated?: boolean;
  /** Whether the residual branch is a dense projection hIn → hOut (use-lite's layer 0). */
  denseResidual: boolean;
}

/** A model's layers and its dense head ([in, out] per dense layer after pooling). */
export interface ModelDims {
  layers: readonly LayerDims[];
  head: ReadonlyArray<readonly [number, number]>;
}
