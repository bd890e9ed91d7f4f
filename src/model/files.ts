/**
 * Where model files come from. The browser fetches them from our own server;
 * Node (CLI, tests) reads them from disk. Both report progress and name the file
 * that is missing or broken, so the user can see what went wrong.
 */

import { formatBytes } from './format.ts';

export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ModelFileError';
  }
}

export interface FileProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number;
}

export interface ModelFiles {
  /** Human-readable location, used in messages. */
  readonly location: string;
  read(name: string): Promise<ArrayBuffer>;
}

export function parseJsonFile<T>(name: string, bytes: ArrayBuffer): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new ModelFileError(name, `not valid JSON (${(error as Error).message})`);
  }
}

/** Files served over HTTP, e.g. `/models/use-lite/` by our own build. */
export function httpFiles(baseUrl: string, fetchImpl: typeof fetch = fetch): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    location: base,
    async read(name) {
      let response: Response;
      try {
        response = await fetchImpl(base + name);
      } catch (error) {
        throw new ModelFileError(name, `could not be downloaded (${(error as Error).message})`);
      }
      if (!response.ok) {
        throw new ModelFileError(name, `could not be downloaded (HTTP ${response.status})`);
      }
      return response.arrayBuffer();
    },
  };
}

/**
 * Files from `primary`, except the names in `borrowed`, read from another model's
 * files: a variant (use-lite-exact) shares its original's vocabulary this way.
 */
export function overlayFiles(primary: ModelFiles, borrowed: Readonly<Record<string, ModelFiles>>): ModelFiles {
  return {
    location: primary.location,
    read(name) {
      return (borrowed[name] ?? primary).read(name);
    },
  };
}

/**
 * Files the user picked or dropped (a model folder opened from disk), by path
 * relative to the folder: "config.json", "1_Pooling/config.json".
 */
export function blobFiles(folderName: string, files: ReadonlyMap<string, Blob>, maxBytes = Infinity): ModelFiles {
  return {
    location: `folder "${folderName}"`,
    async read(name) {
      const file = files.get(name);
      if (!file) throw new ModelFileError(name, `is not in the folder "${folderName}"`);
      // Refused before reading: a file is read whole into memory.
      if (file.size > maxBytes) throw new ModelFileError(name, `is ${formatBytes(file.size)}, over the ${formatBytes(maxBytes)} limit`);
      try {
        return await file.arrayBuffer();
      } catch (error) {
        throw new ModelFileError(name, `could not be read (${(error as Error).message})`);
      }
    },
  };
}
