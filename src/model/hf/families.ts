/**
 * The Hugging Face architectures PairLens runs, by config.json's model_type. Each
 * family reads its config, estimates its size before anything is downloaded, and
 * builds its encoder from the weight file; everything else (tokenizer, pooling,
 * Dense modules, normalisation, reference) is shared (sentence-encoder.ts). Adding an
 * architecture means writing a family and listing it here.
 */
import { BERT_FAMILY } from './bert.ts';
import { GEMMA3_FAMILY } from './gemma3.ts';
import type { HfCheckpoint } from './checkpoint.ts';
import type { BaseConfig } from './config.ts';
import type { DenseWeights } from './dense.ts';
import type { WeightSource } from './formats/open-weights.ts';
import { MODERNBERT_FAMILY } from './modernbert.ts';
import { NOMIC_BERT_FAMILY } from './nomic-bert.ts';
import type { HfSentenceEncoder } from './sentence-encoder.ts';
import type { HfTokenizer } from './tokenizer.ts';
import { T5_FAMILY } from './t5.ts';

export interface Family<C extends BaseConfig = BaseConfig> {
  /** For people: "BERT family". */
  readonly name: string;
  /** config.json model_type values the family reads. */
  readonly modelTypes: readonly string[];
  /**
   * Why its forward pass is not yet checked against transformers (absent once
   * fixtures recorded with PyTorch pin it down, test-models/fixtures/): shown beside
   * the model in the app, the CLI and the reports.
   */
  readonly unverified?: string;
  /** config.json, checked: every problem a ModelFileError naming `file`. */
  parseConfig(file: string, raw: Record<string, unknown>): C;
  /** Float32 bytes of the weights the config implies (to refuse an oversized model before downloading it). */
  estimateBytes(config: C): number;
  /** Picks the transformer's weights out of `source` (freeing what it made if that fails) and builds the encoder. */
  build(id: string, checkpoint: HfCheckpoint<C>, source: WeightSource, dense: readonly DenseWeights[], tokenizer: HfTokenizer): HfSentenceEncoder<C>;
}

export const FAMILIES: readonly Family[] = [BERT_FAMILY, NOMIC_BERT_FAMILY, T5_FAMILY, GEMMA3_FAMILY, MODERNBERT_FAMILY];

export function familyFor(modelType: string): Family | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}

export function supportedModelTypes(): string[] {
  return FAMILIES.flatMap((f) => f.modelTypes);
}
