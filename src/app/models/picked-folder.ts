/**
 * A model folder the user opened from disk, with the folder picker or by dragging it
 * onto the page: File objects by path relative to the model's root. Nothing is read
 * here; the worker reads only the files the model needs.
 */
import type { PickedFolder } from '../../worker/protocol.ts';

/** Files that mark a model's root folder. */
const ROOT_MARKERS = ['config.json', 'modules.json'];

/** Skips version-control and hidden folders (a cloned Hub repo has a large .git). */
function hidden(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.'));
}

/**
 * The folder from paths relative to the picked or dropped folder: when the model sits
 * one or more folders down (the user picked its parent), its own folder becomes the root.
 */
export function folderFromPaths(name: string, entries: Array<[string, File]>): PickedFolder {
  const visible = entries.filter(([path]) => !hidden(path));
  const paths = visible.map(([path]) => path);
  const atRoot = paths.some((p) => ROOT_MARKERS.includes(p));
  let prefix = '';
  if (!atRoot) {
    const nested = paths
      .filter((p) => ROOT_MARKERS.includes(p.split('/').pop() ?? ''))
      .sort((x, y) => x.split('/').length - y.split('/').length)[0];
    if (nested) prefix = nested.slice(0, nested.lastIndexOf('/') + 1);
  }
  const files = visible.filter(([path]) => path.startsWith(prefix)).map(([path, file]): [string, File] => [path.slice(prefix.length), file]);
  const rootName = prefix ? prefix.replace(/\/$/, '').split('/').pop()! : name;
  return { name: rootName, files };
}

/** From an <input type="file" webkitdirectory>: paths come as "picked-folder/sub/file". */
export function folderFromFileList(list: FileList): PickedFolder | undefined {
  const files = Array.from(list);
  if (files.length === 0) return undefined;
  const name = files[0].webkitRelativePath.split('/')[0] || 'folder';
  return folderFromPaths(
    name,
    files.map((f) => [f.webkitRelativePath.split('/').slice(1).join('/') || f.name, f]),
  );
}

/** From a drop: one folder (read recursively), or loose files taken as one folder. */
export async function folderFromDrop(transfer: DataTransfer): Promise<PickedFolder | undefined> {
  const entries = Array.from(transfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 1 && entries[0].isDirectory) {
    const dir = entries[0] as FileSystemDirectoryEntry;
    return folderFromPaths(dir.name, await readTree(dir, ''));
  }
  const files = Array.from(transfer.files);
  if (files.length === 0) return undefined;
  return folderFromPaths('dropped files', files.map((f) => [f.name, f]));
}

async function readTree(dir: FileSystemDirectoryEntry, prefix: string): Promise<Array<[string, File]>> {
  const out: Array<[string, File]> = [];
  for (const entry of await readAllEntries(dir)) {
    const path = prefix + entry.name;
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory) out.push(...(await readTree(entry as FileSystemDirectoryEntry, `${path}/`)));
    else out.push([path, await fileOf(entry as FileSystemFileEntry)]);
  }
  return out;
}

/** readEntries returns a directory in batches (about 100 at a time in Chromium) until an empty one. */
async function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}
