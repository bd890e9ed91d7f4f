/** Example pairs that show what the papers found (docs/method.md, "Derived views"). */
export interface ExamplePair {
  title: string;
  a: string;
  b: string;
  what: string;
}

export const EXAMPLES: readonly ExamplePair[] = [
  { title: 'Paraphrase', a: 'A man is playing a guitar on stage.', b: 'Someone performs music with an instrument.', what: 'different words, same meaning' },
  { title: 'Negation', a: 'The movie was good.', b: 'The movie was not good.', what: 'encoders mostly ignore "not"' },
  { title: 'Antonyms', a: 'The soup is hot.', b: 'The soup is cold.', what: 'opposite adjectives still look alike' },
  { title: 'Swapped roles', a: 'The dog chased the cat.', b: 'The cat chased the dog.', what: 'same words, roles reversed' },
  { title: 'Word overlap', a: 'She sat by the river bank.', b: 'She went to the bank to withdraw cash.', what: 'a shared word with another sense' },
  { title: 'Unrelated', a: 'The stock market fell sharply today.', b: 'My grandmother grows tomatoes in her garden.', what: 'nothing in common' },
];
