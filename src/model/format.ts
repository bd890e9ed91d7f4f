/** Sizes as people read them in messages and progress bars. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e4) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} bytes`;
}
