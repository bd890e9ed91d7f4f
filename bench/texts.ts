/** The benchmark's sentence pairs: short (~8 tokens), medium (~20) and long (~60) for use-lite. */

export type PairLength = 'short' | 'medium' | 'long';

export interface BenchPair {
  length: PairLength;
  a: string;
  b: string;
}

export const PAIRS: readonly BenchPair[] = [
  {
    length: 'short',
    a: 'A young man is playing a guitar.',
    b: 'A person is playing an instrument outside.',
  },
  {
    length: 'medium',
    a: 'The city committee postponed its final decision on the new school budget until the middle of next week.',
    b: 'A decision about the school budget was delayed once again by the city council for another full week.',
  },
  {
    length: 'long',
    a:
      'The old lighthouse keeper climbed the spiral staircase every evening to light the lamp, watching the ships ' +
      'pass through the narrow strait while storms gathered over the grey northern sea and gulls cried above the harbour.',
    b:
      'Each night an elderly man walked up the winding stairs of the tower by the coast, lit the great lantern, and ' +
      'watched boats sail through the channel as dark clouds rolled in from the cold ocean and seabirds circled the port.',
  },
];

export function pairOf(length: PairLength): BenchPair {
  return PAIRS.find((p) => p.length === length)!;
}
