/** Folders opened from disk: the model's root found, hidden folders skipped, dropped trees read in full. */
import { describe, expect, it } from 'vitest';
import { folderFromDrop, folderFromPaths } from './picked-folder.ts';

const file = (name: string) => new File(['{}'], name);

describe('picked folders', () => {
  it('keeps paths relative to a folder that holds the model', () => {
    const folder = folderFromPaths('tiny', [
      ['config.json', file('config.json')],
      ['1_Pooling/config.json', file('config.json')],
      ['.git/objects/ab', file('ab')],
    ]);
    expect(folder.name).toBe('tiny');
    expect(folder.files.map(([p]) => p)).toEqual(['config.json', '1_Pooling/config.json']);
  });

  it('finds the model one or more folders down when its parent was picked', () => {
    const folder = folderFromPaths('downloads', [
      ['notes.txt', file('notes.txt')],
      ['models/minilm/config.json', file('config.json')],
      ['models/minilm/1_Pooling/config.json', file('config.json')],
      ['models/minilm/model.safetensors', file('model.safetensors')],
    ]);
    expect(folder.name).toBe('minilm');
    expect(folder.files.map(([p]) => p)).toEqual(['config.json', '1_Pooling/config.json', 'model.safetensors']);
  });

  it('reads a dropped directory tree, batch by batch, skipping hidden entries', async () => {
    // The browser's FileSystemEntry API, reduced to what folderFromDrop uses.
    const fileEntry = (name: string) => ({ name, isDirectory: false, isFile: true, file: (ok: (f: File) => void) => ok(file(name)) });
    const dirEntry = (name: string, children: object[]) => ({
      name,
      isDirectory: true,
      isFile: false,
      createReader: () => {
        // Two entries per batch, then an empty batch, as readEntries does for large folders.
        let at = 0;
        return {
          readEntries: (ok: (batch: object[]) => void) => {
            ok(children.slice(at, at + 2));
            at += 2;
          },
        };
      },
    });
    const root = dirEntry('my-model', [
      fileEntry('config.json'),
      fileEntry('tokenizer.json'),
      fileEntry('model.safetensors'),
      dirEntry('1_Pooling', [fileEntry('config.json')]),
      dirEntry('.cache', [fileEntry('x')]),
    ]);
    const transfer = { items: [{ kind: 'file', webkitGetAsEntry: () => root }], files: [] } as unknown as DataTransfer;
    const folder = await folderFromDrop(transfer);
    expect(folder?.name).toBe('my-model');
    expect(folder?.files.map(([p]) => p).sort()).toEqual(['1_Pooling/config.json', 'config.json', 'model.safetensors', 'tokenizer.json']);
  });
});
