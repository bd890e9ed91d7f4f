/** The attribution fixtures scripts/reference-fixtures.py writes (test-models/fixtures/*.attribution.json). */
export interface AttributionSide {
  text: string;
  ids: number[];
  referenceIds: number[];
  /** [D][S], float64 from PyTorch autograd (one backward pass per output dimension). */
  P: number[][];
  embedding: number[];
  referenceEmbedding: number[];
}

export interface AttributionFixture {
  model: string;
  steps: number;
  rule: 'right';
  cases: Array<{ layer: number; a: AttributionSide; b: AttributionSide }>;
}
