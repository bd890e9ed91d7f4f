import { describe, expect, it } from 'vitest';
import { localModelId, parseModelId } from './model-id.ts';

describe('model ids', () => {
  it('knows the bundled models', () => {
    expect(parseModelId('use-lite')).toEqual({ kind: 'bundled', id: 'use-lite' });
    expect(parseModelId('use-lite-exact')).toEqual({ kind: 'bundled', id: 'use-lite-exact' });
  });

  it('reads Hub ids with an optional revision, main being the default', () => {
    expect(parseModelId('sentence-transformers/all-MiniLM-L6-v2')).toEqual({
      kind: 'hub',
      id: 'sentence-transformers/all-MiniLM-L6-v2',
      repo: 'sentence-transformers/all-MiniLM-L6-v2',
      revision: 'main',
    });
    expect(parseModelId('BAAI/bge-small-en-v1.5@v1.0')).toMatchObject({ kind: 'hub', id: 'BAAI/bge-small-en-v1.5@v1.0', revision: 'v1.0' });
    expect(parseModelId('owner/name@main')?.id).toBe('owner/name');
    expect(parseModelId('bert-base-uncased')).toMatchObject({ kind: 'hub', repo: 'bert-base-uncased' });
  });

  it.each(['', '/abs', 'a/b/c', '../x', 'a/..', 'owner/na me', '<script>', 'http://evil.example/x', 'a--b/c', '.hidden/x', 'a/b@', 'a/b@x/y', 'a/b@.', 'a/b@.git', 'x'.repeat(97)])(
    'refuses %j',
    (id) => expect(parseModelId(id)).toBeUndefined(),
  );

  it('names folders opened from disk, without separators or control characters', () => {
    expect(localModelId('my model')).toBe('local:my model');
    expect(parseModelId('local:my model')).toEqual({ kind: 'local', id: 'local:my model', name: 'my model' });
    expect(localModelId('a/b\\c\u0000')).toBe('local:a_b_c_');
    expect(localModelId('..')).toBe('local:folder');
    for (const bad of ['local:', 'local:a/b', 'local:..', 'local: x', `local:${'x'.repeat(129)}`, 'local:a\u0007']) {
      expect(parseModelId(bad), bad).toBeUndefined();
    }
  });
});
