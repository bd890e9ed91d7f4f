/**
 * Choosing the model: type a bundled id or a Hugging Face id (suggestions offered),
 * open a model folder from disk or drop one here. Shows the download's progress and,
 * when a model cannot be loaded, why (the previous model stays in use). Download
 * settings (Hub URL, size limit, backend) live here too.
 */
import { useRef, useState, type DragEvent, type FormEvent } from 'react';
import { BUNDLED_MODELS } from '../../model/catalog.ts';
import { formatBytes } from '../../model/format.ts';
import { validHubUrl } from '../../model/hub.ts';
import { MODEL_ID_HELP, parseModelId } from '../../model/model-id.ts';
import type { PickedFolder } from '../../worker/protocol.ts';
import { Labelled } from '../Labelled.tsx';
import {
  BACKEND_SETTINGS,
  MAX_MEGABYTES_LIMIT,
  MIN_MEGABYTES,
  SUGGESTED_MODELS,
  validMegabytes,
  type BackendSetting,
  type ModelSettings,
} from '../model-settings.ts';
import type { ModelStatus } from '../use-model-worker.ts';
import { folderFromDrop, folderFromFileList } from './picked-folder.ts';

export interface ModelPickerProps {
  /** The model the view shows (or is loading). */
  current: string;
  status: ModelStatus;
  /** Why the last model asked for could not be loaded. */
  failure: string | null;
  recent: readonly string[];
  settings: ModelSettings;
  onLoad: (id: string) => void;
  onFolder: (folder: PickedFolder) => void;
  onSettings: (settings: ModelSettings) => void;
  onForgetDownloads: () => void;
}

export function ModelPicker(props: ModelPickerProps) {
  const { current, status } = props;
  const [draft, setDraft] = useState(current);
  const [shown, setShown] = useState(current);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const folderInput = useRef<HTMLInputElement>(null);
  // The box follows the view when the model changes elsewhere (a link, Back, a failed load).
  if (shown !== current) {
    setShown(current);
    setDraft(current);
  }

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const id = draft.trim();
    const ref = parseModelId(id);
    if (!ref) {
      setProblem(`"${id}" is not a model id: type ${MODEL_ID_HELP}.`);
      return;
    }
    if (ref.kind === 'local' && ref.id !== current) {
      setProblem('Local folders cannot be typed: use "Open folder…" or drop the folder here.');
      return;
    }
    setProblem(null);
    props.onLoad(ref.id);
  };

  const openFolder = (folder: PickedFolder | undefined) => {
    if (!folder || folder.files.length === 0) {
      setProblem('That folder is empty.');
      return;
    }
    setProblem(null);
    props.onFolder(folder);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    folderFromDrop(event.dataTransfer).then(openFolder, (error: Error) => setProblem(`The dropped folder could not be read: ${error.message}`));
  };

  const suggestions = [...new Set([...BUNDLED_MODELS.map((m) => m.id), ...props.recent, ...SUGGESTED_MODELS])];
  const loading = status.loadingId !== null;
  const progress = status.progress;
  const percent = progress && progress.totalBytes > 0 ? Math.round((100 * progress.loadedBytes) / progress.totalBytes) : 0;

  return (
    <section
      className={`model-bar${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <form className="model-row" onSubmit={submit}>
        <Labelled id="control-model" label="Model">
          <input
            id="control-model"
            list="model-suggestions"
            value={draft}
            spellCheck={false}
            autoComplete="off"
            size={36}
            onChange={(e) => setDraft(e.target.value)}
          />
          <datalist id="model-suggestions">
            {suggestions.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        </Labelled>
        <button type="submit">Load</button>
        <button type="button" onClick={() => folderInput.current?.click()}>
          Open folder…
        </button>
        <input
          ref={folderInput}
          type="file"
          hidden
          multiple
          data-testid="folder-input"
          onChange={(e) => {
            if (e.target.files) openFolder(folderFromFileList(e.target.files));
            e.target.value = '';
          }}
          {...{ webkitdirectory: '' }}
        />
        <span className="muted">or drop a folder here (Hugging Face layout: config.json, tokenizer.json, model.safetensors or pytorch_model.bin)</span>
      </form>

      {loading && (
        <p className="load-progress">
          Loading <strong>{status.loadingId}</strong>
          {progress && (
            <>
              {' '}
              · {progress.file} <progress aria-label="Download progress" max={100} value={percent} /> {formatBytes(progress.loadedBytes)}
              {progress.totalBytes > 0 && ` of ${formatBytes(progress.totalBytes)}`}
              {progress.cached && ' (from this browser’s cache)'}
            </>
          )}
        </p>
      )}
      {status.phase === 'ready' && status.unverified && (
        <p className="notice" role="note" data-testid="model-unverified">
          <strong>Unverified architecture:</strong> {status.unverified}. Its numbers follow our reading of the reference
          implementation; check them before you rely on them.
        </p>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {props.failure && (
        <p className="error" role="alert" data-testid="model-error">
          {props.failure}
        </p>
      )}
      <DownloadSettings settings={props.settings} onSettings={props.onSettings} onForgetDownloads={props.onForgetDownloads} />
    </section>
  );
}

const BACKEND_LABELS: Record<BackendSetting, string> = {
  auto: 'fastest (measured)',
  webgpu: 'WebGPU',
  wasm: 'WASM',
  cpu: 'CPU (slow)',
};

function DownloadSettings(props: Pick<ModelPickerProps, 'settings' | 'onSettings' | 'onForgetDownloads'>) {
  const [hubUrl, setHubUrl] = useState(props.settings.hubUrl);
  const [megabytes, setMegabytes] = useState(String(props.settings.maxMegabytes));
  const [backend, setBackend] = useState<BackendSetting>(props.settings.backend);
  const [problem, setProblem] = useState<string | null>(null);

  const save = (event: FormEvent) => {
    event.preventDefault();
    const url = validHubUrl(hubUrl);
    const mb = Number(megabytes);
    if (!url) return setProblem('The Hub URL must be an http(s) address such as https://huggingface.co.');
    if (!validMegabytes(mb)) return setProblem(`The size limit must be a number of MB from ${MIN_MEGABYTES} to ${MAX_MEGABYTES_LIMIT}.`);
    setProblem(null);
    setHubUrl(url);
    props.onSettings({ hubUrl: url, maxMegabytes: mb, backend });
  };

  return (
    <details className="download-settings">
      <summary>Download settings</summary>
      <form onSubmit={save}>
        <Labelled id="setting-hub-url" label="Hub URL">
          <input id="setting-hub-url" value={hubUrl} size={36} spellCheck={false} onChange={(e) => setHubUrl(e.target.value)} />
        </Labelled>
        <Labelled id="setting-max-mb" label="Size limit (MB)">
          <input id="setting-max-mb" value={megabytes} inputMode="numeric" size={6} onChange={(e) => setMegabytes(e.target.value)} />
        </Labelled>
        <Labelled id="setting-backend" label="Backend">
          <select id="setting-backend" value={backend} onChange={(e) => setBackend(BACKEND_SETTINGS.find((b) => b === e.target.value) ?? 'auto')}>
            {BACKEND_SETTINGS.map((b) => (
              <option key={b} value={b}>
                {BACKEND_LABELS[b]}
              </option>
            ))}
          </select>
        </Labelled>
        <button type="submit">Save settings</button>
        <button type="button" onClick={props.onForgetDownloads}>
          Forget downloaded models
        </button>
      </form>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <p className="muted">
        Hugging Face ids are downloaded from the Hub URL (a mirror works too) and kept in this browser, so they load again
        offline. Backend “fastest” times each backend this browser offers when the page starts and keeps the fastest;
        another choice restarts the model on it (<code>?backend=</code> in a link overrides it for that page). Settings
        stay in this browser; links never carry them.
      </p>
    </details>
  );
}
