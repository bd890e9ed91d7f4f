/**
 * Everything a shared link restores, in one table (docs/architecture.md, "URL
 * parameters"). One parse, one serialise: unknown parameters are ignored, invalid
 * values fall back to defaults and are reported so the UI can say so. Values are only
 * ever used as data (text boxes, numbers), never rendered as HTML. The attribution
 * parameters' values, bounds and defaults come from attribution/parameters.ts.
 */
import {
  allowedValues,
  choiceOf,
  integerProblem,
  integerRange,
  PARAMETERS,
  type ChoiceParameter,
  type PairMode,
  type Similarity,
} from '../attribution/parameters.ts';
import { DEFAULT_MODEL } from '../model/catalog.ts';
import { parseModelId } from '../model/model-id.ts';

export interface ViewState {
  a: string;
  b: string;
  model: string;
  /** null = the model's default layer (its last). */
  layer: number | null;
  mode: PairMode;
  steps: number;
  sim: Similarity;
}

export const EXAMPLE_A = 'A man is playing a guitar on stage.';
export const EXAMPLE_B = 'Someone performs music with an instrument.';

export const DEFAULT_VIEW: ViewState = {
  a: EXAMPLE_A,
  b: EXAMPLE_B,
  model: DEFAULT_MODEL,
  layer: null,
  mode: PARAMETERS.mode.default,
  steps: PARAMETERS.steps.default,
  sim: PARAMETERS.sim.default,
};

/** Longest text a link may carry; longer ones are cut (the model reads 128 tokens anyway). */
export const MAX_TEXT_LENGTH = 20_000;
/** Layer indices a link may name before the model is known; the model checks its own range. */
export const MAX_LAYER_PARAM = 127;

interface Param<K extends keyof ViewState> {
  key: K;
  parse: (raw: string) => ViewState[K] | undefined; // undefined = invalid
  describe: string;
}

const oneOf =
  <T extends string>(p: ChoiceParameter<T>) =>
  (raw: string): T | undefined =>
    choiceOf(p, raw);

const text = (raw: string) => raw.slice(0, MAX_TEXT_LENGTH);

const PARAMS: { [K in keyof ViewState]: Param<K> } = {
  a: { key: 'a', parse: text, describe: 'any text' },
  b: { key: 'b', parse: text, describe: 'any text' },
  model: { key: 'model', parse: (raw) => parseModelId(raw)?.id, describe: 'a model id (use-lite, a Hugging Face id, or local:folder)' },
  layer: {
    key: 'layer',
    parse: (raw) => {
      if (!/^\d{1,3}$/.test(raw)) return undefined;
      const layer = Number(raw);
      return layer <= MAX_LAYER_PARAM ? layer : undefined;
    },
    describe: 'a layer number',
  },
  mode: { key: 'mode', parse: oneOf(PARAMETERS.mode), describe: allowedValues(PARAMETERS.mode) },
  steps: {
    key: 'steps',
    parse: (raw) => {
      if (!/^\d{1,5}$/.test(raw)) return undefined;
      const steps = Number(raw);
      return integerProblem(PARAMETERS.steps, steps) === undefined ? steps : undefined;
    },
    describe: integerRange(PARAMETERS.steps),
  },
  sim: { key: 'sim', parse: oneOf(PARAMETERS.sim), describe: allowedValues(PARAMETERS.sim) },
};

const KEYS = Object.keys(PARAMS) as Array<keyof ViewState>;

export interface ParsedView {
  view: ViewState;
  /** One plain sentence per rejected parameter. */
  notices: string[];
}

export function parseView(search: string): ParsedView {
  const params = new URLSearchParams(search);
  const view: ViewState = { ...DEFAULT_VIEW };
  const notices: string[] = [];
  for (const key of KEYS) {
    const raw = params.get(key);
    if (raw === null) continue;
    const value = PARAMS[key].parse(raw);
    if (value === undefined) {
      const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
      notices.push(`Ignored ${key}="${shown}" in the link: expected ${PARAMS[key].describe}; using the default.`);
    } else {
      (view as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return { view, notices };
}

/** The query string for a view; defaults are left out to keep links short. */
export function serializeView(view: ViewState): string {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = view[key];
    // Texts are always written, so a link shows exactly what was compared.
    const isText = key === 'a' || key === 'b';
    if (!isText && (value === null || value === DEFAULT_VIEW[key])) continue;
    params.set(key, String(value));
  }
  return `?${params.toString()}`;
}
