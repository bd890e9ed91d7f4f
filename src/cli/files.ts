/** Files the user names on the command line. */
import { readFileSync, statSync } from 'node:fs';

/** Reads a file the user named with a flag, or says in one line why it cannot be read. */
export function readUserFile(flag: string, file: string, maxBytes: number): string {
  try {
    if (statSync(file).size > maxBytes) throw new Error(`larger than ${maxBytes / 2 ** 20} MB`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new Error(`cannot read ${flag} "${file}": ${why}`, { cause: error });
  }
}
