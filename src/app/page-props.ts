/** What every page beside the explorer is given by App.tsx. */
import type { useUrlView } from './use-url-view.ts';
import type { ModelWorkerClient } from './worker-client.ts';

export interface PageProps {
  client: ModelWorkerClient;
  /** The model is loaded and free (not fine-tuning): jobs may run. */
  ready: boolean;
  /** This page is shown (hidden pages run nothing and render no controls). */
  active: boolean;
  /** The app's state in the URL: settings, each page's state, and how to change them. */
  url: ReturnType<typeof useUrlView>;
  /** The served model: its layers, the layer shown, the models behind results, the backend's name, its prompts. */
  model: { numLayers: number; layer: number; modelsKey: string; backend: string; prompts: Record<string, string> | null };
}
