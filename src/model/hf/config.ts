/**
 * What every architecture's config.json gives the shared sentence-transformers
 * machinery (checkpoint.ts, sentence-encoder.ts), and the readers each family's
 * parser uses. Each family parses the rest of its config itself (families.ts).
 */
import { ModelFileError } from '../files.ts';

export interface BaseConfig {
  /** The family, for records and messages: "bert", "roberta", "mpnet", "distilbert", … */
  architecture: string;
  /** config.json's model_type as written. */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  /** What ordinary tokens become in the attribution reference. */
  padTokenId: number;
  /** Most tokens the position scheme takes (sentence_bert_config.json may lower it). */
  maxPositions: number;
  /** No kink in any layer (no ReLU): the path integrand is smooth (docs/method.md, "Discretisation"). */
  smoothLayers: boolean;
}

export type Activation = 'gelu' | 'gelu_tanh' | 'relu' | 'silu';

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

/** The activation config.json names under `key` (default GELU). */
export function activationOf(file: string, raw: Record<string, unknown>, key: string): Activation {
  const name = String(raw[key] ?? 'gelu');
  const activation = ACTIVATIONS[name];
  if (!activation) throw new ModelFileError(file, `${key} "${name}" is not supported (${Object.keys(ACTIVATIONS).join(', ')})`);
  return activation;
}

export function positiveInt(file: string, raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelFileError(file, `"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}
