import { useId } from 'react';
import { Labelled } from '../Labelled.tsx';
import { choiceOf, integerChoices, numberProblem, PARAMETERS, rulesFor, type Steps } from '../../attribution/parameters.ts';
import type { ViewState } from '../url-state.ts';

/** "auto" first (where the table allows it), then every power of two. */
const STEP_CHOICES: Steps[] = [...(PARAMETERS.steps.auto ? ['auto' as const] : []), ...integerChoices(PARAMETERS.steps)];

/** Tolerances the menu offers (with the default, and a link's own value, added where missing). */
const TOLERANCE_CHOICES = [3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4];

/** The tolerance menu: the usual choices, the default and `current`, within bounds, largest first. */
export function toleranceChoices(current: number): number[] {
  const all = new Set([...TOLERANCE_CHOICES, PARAMETERS.tol.default, current]);
  return [...all].filter((t) => numberProblem(PARAMETERS.tol, t) === undefined).sort((x, y) => y - x);
}

/** "1e-2", "3e-3", "2.5e-4": a tolerance as the menu shows it. */
export function toleranceLabel(t: number): string {
  return t.toExponential().replace('e+', 'e');
}

/**
 * The patch for a new number of steps: steps=auto cannot run a fixed rule, so one
 * falls back to auto (the rule a link without one implies).
 */
export function stepsPatch(view: Pick<ViewState, 'rule'>, steps: Steps): Partial<ViewState> {
  return rulesFor(steps).includes(view.rule) ? { steps } : { steps, rule: 'auto' };
}

/** "embeddings" for the input of layer 0, else "after layer L" (1-based, as people count). */
export function layerName(layer: number): string {
  return layer === 0 ? 'embeddings' : `after layer ${layer}`;
}


export interface ControlsProps {
  view: ViewState;
  numLayers: number;
  layer: number;
  /** The served model's prompts by name, or null (then no prompt menus). */
  prompts?: Record<string, string> | null;
  onChange: (patch: Partial<ViewState>) => void;
}

export function Controls({ view, numLayers, layer, prompts, onChange }: ControlsProps) {
  // Each page has its own controls: ids and the radio group's name must not collide.
  const uid = useId();
  return (
    <fieldset className="controls">
      <legend className="visually-hidden">Attribution settings</legend>
      <Labelled id={`${uid}-layer`} label="Layer">
        <select id={`${uid}-layer`} value={layer} onChange={(e) => onChange({ layer: Number(e.target.value) })}>
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
            <input type="radio" name={`${uid}-mode`} value={mode} checked={view.mode === mode} onChange={() => onChange({ mode })} />
            {PARAMETERS.mode.labels[mode]}
          </label>
        ))}
      </div>
      <Labelled id={`${uid}-steps`} label="Steps">
        <select
          id={`${uid}-steps`}
          value={String(view.steps)}
          onChange={(e) => onChange(stepsPatch(view, e.target.value === 'auto' ? 'auto' : Number(e.target.value)))}
        >
          {STEP_CHOICES.map((n) => (
            <option key={n} value={String(n)}>
              {n}
            </option>
          ))}
        </select>
      </Labelled>
      <Labelled id={`${uid}-rule`} label="Rule">
        <select
          id={`${uid}-rule`}
          value={view.rule}
          title={PARAMETERS.rule.description}
          onChange={(e) => onChange({ rule: choiceOf(PARAMETERS.rule, e.target.value) ?? PARAMETERS.rule.default })}
        >
          {rulesFor(view.steps).map((rule) => (
            <option key={rule} value={rule}>
              {PARAMETERS.rule.labels[rule]}
            </option>
          ))}
        </select>
      </Labelled>
      {view.steps === 'auto' && (
        <Labelled id={`${uid}-tolerance`} label="Tolerance">
          <select
            id={`${uid}-tolerance`}
            value={String(view.tol)}
            title={PARAMETERS.tol.description}
            onChange={(e) => {
              const tol = Number(e.target.value);
              if (numberProblem(PARAMETERS.tol, tol) === undefined) onChange({ tol });
            }}
          >
            {toleranceChoices(view.tol).map((t) => (
              <option key={t} value={String(t)}>
                {toleranceLabel(t)}
              </option>
            ))}
          </select>
        </Labelled>
      )}
      <Labelled id={`${uid}-similarity`} label="Similarity">
        <select id={`${uid}-similarity`} value={view.sim} onChange={(e) => onChange({ sim: choiceOf(PARAMETERS.sim, e.target.value) ?? PARAMETERS.sim.default })}>
          {PARAMETERS.sim.values.map((sim) => (
            <option key={sim} value={sim}>
              {PARAMETERS.sim.labels[sim]}
            </option>
          ))}
        </select>
      </Labelled>
      {prompts &&
        (['pa', 'pb'] as const).map((key) => (
          <Labelled key={key} id={`${uid}-${key}`} label={key === 'pa' ? 'Prompt A' : 'Prompt B'}>
            <select
              id={`${uid}-${key}`}
              value={view[key]}
              title="A prompt of the model, put before the text (A: the query, B: the passages). Its tokens are shown as special and kept in the reference."
              onChange={(e) => onChange({ [key]: e.target.value })}
            >
              <option value="">none</option>
              {/* A link may name a prompt this model lacks: shown, so the engine's message makes sense. */}
              {[...new Set([...Object.keys(prompts), ...(view[key] ? [view[key]] : [])])].map((name) => (
                <option key={name} value={name}>
                  {name}
                  {prompts[name] !== undefined ? ` (“${prompts[name]}”)` : ''}
                </option>
              ))}
            </select>
          </Labelled>
        ))}
    </fieldset>
  );
}
