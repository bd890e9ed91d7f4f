/** Model files on the local disk, for the CLI and the tests (Node only). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFileError, type ModelFiles } from './files.ts';

export function diskFiles(folder: string): ModelFiles {
  return {
    location: folder,
    async read(name) {
      try {
        const data = await readFile(join(folder, name));
        return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ModelFileError(name, code === 'ENOENT' ? `missing in ${folder}` : `unreadable (${code})`);
      }
    },
  };
}
