/**
 * What every export bar does beyond its own files: copy the page's link (or show it
 * when the clipboard is refused) and download a PNG made on demand, with one line of
 * feedback for either.
 */
import { useCallback, useState } from 'react';
import { download } from './exports.ts';

export function useExportActions() {
  const [message, setMessage] = useState<string | null>(null);

  const copyLink = useCallback(async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setMessage('Link copied.');
    } catch {
      // Clipboard access can be refused (permissions, insecure context): show the link instead.
      setMessage(`Copy this link: ${window.location.href}`);
    }
  }, []);

  const downloadPng = useCallback(async (filename: string, make: () => Promise<Blob>) => {
    try {
      download(filename, await make());
    } catch (error) {
      setMessage(`PNG export failed: ${(error as Error).message}`);
    }
  }, []);

  return { message, copyLink, downloadPng };
}
