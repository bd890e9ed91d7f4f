/**
 * Seeded random weights of a BERT, RoBERTa or MPNet encoder under their PyTorch names
 * and shapes, as a Hub checkpoint holds them. The tiny test models
 * (scripts/make-tiny-models.ts) and the MiniLM-sized model the exact-variant tuning runs
 * on (scripts/tune-hf-exact.ts) differ only in their sizes and spreads.
 */
import { normals, seededRandom } from '../src/shared/random.ts';

/** Sizes of a transformer stack. */
export interface Shape {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
}

/** Standard deviations of each kind of weight (LayerNorm weights are drawn around 1). */
export interface Spreads {
  words: number;
  positions: number;
  types: number;
  /** A linear layer's matrix, given its input width. */
  matrix(inputWidth: number): number;
  bias: number;
  normWeight: number;
  normBias: number;
}

export type Tensors = Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;

export function encoderTensors(arch: 'bert' | 'roberta' | 'mpnet', vocab: number, positions: number, seed: number, shape: Shape, spreads: Spreads): Tensors {
  const { hidden, layers, heads, intermediate } = shape;
  const random = seededRandom(seed);
  const t: Tensors = {};
  const add = (name: string, dims: number[], std: number, mean = 0) => {
    t[name] = { dtype: 'F32', shape: dims, data: normals(random, dims.reduce((a, b) => a * b, 1), std, mean) };
  };
  const lin = (name: string, out: number, inp: number) => {
    add(`${name}.weight`, [out, inp], spreads.matrix(inp));
    add(`${name}.bias`, [out], spreads.bias);
  };
  const norm = (name: string) => {
    add(`${name}.weight`, [hidden], spreads.normWeight, 1);
    add(`${name}.bias`, [hidden], spreads.normBias);
  };
  add('embeddings.word_embeddings.weight', [vocab, hidden], spreads.words);
  add('embeddings.position_embeddings.weight', [positions, hidden], spreads.positions);
  if (arch !== 'mpnet') add('embeddings.token_type_embeddings.weight', [arch === 'bert' ? 2 : 1, hidden], spreads.types);
  norm('embeddings.LayerNorm');
  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}.`;
    if (arch === 'mpnet') {
      for (const x of ['q', 'k', 'v', 'o']) lin(`${p}attention.attn.${x}`, hidden, hidden);
      norm(`${p}attention.LayerNorm`);
    } else {
      for (const x of ['query', 'key', 'value']) lin(`${p}attention.self.${x}`, hidden, hidden);
      lin(`${p}attention.output.dense`, hidden, hidden);
      norm(`${p}attention.output.LayerNorm`);
    }
    lin(`${p}intermediate.dense`, intermediate, hidden);
    lin(`${p}output.dense`, hidden, intermediate);
    norm(`${p}output.LayerNorm`);
  }
  if (arch === 'mpnet') add('encoder.relative_attention_bias.weight', [32, heads], 1);
  lin('pooler.dense', hidden, hidden); // present in Hub checkpoints, unused by sentence embeddings
  return t;
}
