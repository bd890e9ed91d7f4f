import { Labelled } from '../Labelled.tsx';
import { choiceOf, integerChoices, PARAMETERS } from '../../attribution/parameters.ts';
import type { ViewState } from '../url-state.ts';

const STEP_CHOICES = integerChoices(PARAMETERS.steps);

/** "embeddings" for the input of layer 0, else "after layer L" (1-based, as people count). */
export function layerName(layer: number): string {
  return layer === 0 ? 'embeddings' : `after layer ${layer}`;
}


export interface ControlsProps {
  view: ViewState;
  numLayers: number;
  layer: number;
  onChange: (patch: Partial<ViewState>) => void;
}

export function Controls({ view, numLayers, layer, onChange }: ControlsProps) {
  return (
    <fieldset className="controls">
      <legend className="visually-hidden">Attribution settings</legend>
      <Labelled id="control-layer" label="Layer">
        <select id="control-layer" value={layer} onChange={(e) => onChange({ layer: Number(e.target.value) })}>
          {Array.from({ length: numLayers }, (_, l) => (
            <option key={l} value={l}>
              {layerName(l)}
            </option>
          ))}
        </select>
      </Labelled>
      <div role="radiogroup" aria-label="Mode" className="mode">
        {PARAMETERS.mode.values.map((mode) => (
          <label key={mode}>
            <input type="radio" name="mode" value={mode} checked={view.mode === mode} onChange={() => onChange({ mode })} />
            {PARAMETERS.mode.labels[mode]}
          </label>
        ))}
      </div>
      <Labelled id="control-steps" label="Steps">
        <select id="control-steps" value={view.steps} onChange={(e) => onChange({ steps: Number(e.target.value) })}>
          {STEP_CHOICES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </Labelled>
      <Labelled id="control-similarity" label="Similarity">
        <select id="control-similarity" value={view.sim} onChange={(e) => onChange({ sim: choiceOf(PARAMETERS.sim, e.target.value) ?? PARAMETERS.sim.default })}>
          {PARAMETERS.sim.values.map((sim) => (
            <option key={sim} value={sim}>
              {PARAMETERS.sim.labels[sim]}
            </option>
          ))}
        </select>
      </Labelled>
    </fieldset>
  );
}
