/** A tiny random model with use-lite's architecture, for fast training tests. */
import * as tf from '@tensorflow/tfjs-core';
import { UseLite } from '../model/use-lite/model.ts';
import type { Vocabulary } from '../model/use-lite/tokenizer.ts';
import type { LayerWeights } from '../model/use-lite/weights.ts';
import { seededRandom } from '../shared/random.ts';

/** "▁" in the tiny vocabulary: the reference token, as id 30 is in use-lite's. */
export const TINY_REFERENCE_ID = 6;

/**
 * Two layers of width 32 (attention 16, FFN 64) over 24 tokens. The embedding width
 * stays 256 because use-lite's timing signal is 2 × 128 wide.
 */
export function tinyUseLite(seed = 1, id = 'tiny-use-lite'): UseLite {
  const random = seededRandom(seed);
  const normal = (shape: number[], scale: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (random() * 2 - 1) * scale;
    return tf.tensor(values, shape);
  };
  const width = 32;
  const attention = 16;
  const ffn = 64;
  const layer = (l: number): LayerWeights => {
    const d = l === 0 ? 256 : width;
    const w: LayerWeights = {
      attentionNormScale: tf.ones([d]),
      attentionNormBias: tf.zeros([d]),
      qkvKernel: normal([d, 3 * attention], 1 / Math.sqrt(d)) as tf.Tensor2D,
      qkvBias: tf.zeros([3 * attention]),
      queryScale: 1 / Math.sqrt(attention / 4),
      outputKernel: normal([attention, width], 1 / Math.sqrt(attention)) as tf.Tensor2D,
      outputBias: tf.zeros([width]),
      ffnNormScale: tf.ones([width]),
      ffnNormBias: tf.zeros([width]),
      ffnInKernel: normal([width, ffn], 1 / Math.sqrt(width)) as tf.Tensor2D,
      ffnInBias: normal([ffn], 0.1) as tf.Tensor1D,
      ffnOutKernel: normal([ffn, width], 1 / Math.sqrt(ffn)) as tf.Tensor2D,
      ffnOutBias: tf.zeros([width]),
    };
    if (l === 0) {
      w.residualKernel = normal([256, width], 1 / 16) as tf.Tensor2D;
      w.residualBias = tf.zeros([width]);
    }
    return w;
  };
  const vocabulary: Vocabulary = [
    ['\uFFFD', 0], ['<s>', 0], ['</s>', 0], ['x1', 0], ['x2', 0], ['x3', 0], ['\u2581', -1],
    ...'abcdefghijklmnopq'.split('').map((c, i) => [`\u2581${c}`, -2 - i] as const),
  ];
  const timescales = Array.from({ length: 128 }, (_, j) => Math.exp((-j * Math.log(1e4)) / 127));
  return new UseLite(
    {
      weights: {
        tokenEmbeddings: normal([vocabulary.length, 256], 0.5) as tf.Tensor2D,
        inverseTimescales: tf.tensor2d(timescales, [1, 128]),
        layers: [layer(0), layer(1)],
        headKernel: normal([width, width], 1 / Math.sqrt(width)) as tf.Tensor2D,
        headBias: normal([width], 0.3) as tf.Tensor1D,
        layerNormEpsilon: 1e-6,
        l2Epsilon: 1e-12,
      },
      vocabulary,
    },
    { id },
  );
}
