/**
 * Everything a shared link restores, in one table (docs/architecture.md, "URL
 * parameters"). One parse, one serialise: unknown parameters are ignored, invalid
 * values fall back to defaults and are reported so the UI can say so. Values are only
 * ever used as data (text boxes, numbers), never rendered as HTML. The attribution
 * parameters' values, bounds and defaults come from attribution/parameters.ts.
 *
 * steps, rule and tol: a link without steps refines automatically (steps=auto, rule
 * auto, tol the default). A link with a number of steps and no rule means the midpoint
 * rule (impliedRule), so links from before rules were selectable reproduce exactly.
 * tol only matters with steps=auto; it is kept (and written) otherwise, so a view
 * round-trips. steps=auto with a fixed rule (midpoint, right) cannot run: the rule
 * falls back with a notice.
 */
import {
  allowedValues,
  choiceOf,
  impliedRule,
  listed,
  rulesFor,
  integerProblem,
  integerRange,
  numberProblem,
  PARAMETERS,
  type ChoiceParameter,
  type PairMode,
  type QuadratureRule,
  type Similarity,
  type Steps,
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
  /** A power of two, or 'auto' (refine until the error estimate meets tol). */
  steps: Steps;
  /** Always the rule meant: impliedRule(steps) when the link names none. */
  rule: QuadratureRule;
  /** steps=auto's tolerance on the estimated relative error of the matrix. */
  tol: number;
  sim: Similarity;
  /** Names of the model's prompts put before A (the query) and B (the passages); '' for none. */
  pa: string;
  pb: string;
}

export const EXAMPLE_A = 'A man is playing a guitar on stage.';
export const EXAMPLE_B = 'Someone performs music with an instrument.';

const DEFAULT_STEPS: Steps = PARAMETERS.steps.default;
/**
 * Links made before steps=auto left out their default, 64 steps of the midpoint rule:
 * a link with texts but no steps is one of those, and shows what it showed. Links
 * made now always write steps.
 */
const LEGACY_DEFAULT_STEPS = 64;

export const DEFAULT_VIEW: ViewState = {
  a: EXAMPLE_A,
  b: EXAMPLE_B,
  model: DEFAULT_MODEL,
  layer: null,
  mode: PARAMETERS.mode.default,
  steps: DEFAULT_STEPS,
  rule: impliedRule(DEFAULT_STEPS, undefined),
  tol: PARAMETERS.tol.default,
  sim: PARAMETERS.sim.default,
  pa: '',
  pb: '',
};

/** Longest text a link may carry; longer ones are cut (the model reads 128 tokens anyway). */
export const MAX_TEXT_LENGTH = 20_000;
/** Layer indices a link may name before the model is known; the model checks its own range. */
export const MAX_LAYER_PARAM = 127;

interface Param<K extends keyof ViewState> {
  key: K;
  /** undefined = invalid; `view` holds the parameters parsed before this one (table order). */
  parse: (raw: string, view: ViewState) => ViewState[K] | undefined;
  /** What a valid value is, given the parameters parsed before this one. */
  describe: (view: ViewState) => string;
  /** The value when the link has none (or an invalid one), given the parameters before it. */
  fallback?: (view: ViewState) => ViewState[K];
}

const oneOf =
  <T extends string>(p: ChoiceParameter<T>) =>
  (raw: string): T | undefined =>
    choiceOf(p, raw);

const text = (raw: string) => raw.slice(0, MAX_TEXT_LENGTH);
/** A prompt's name as config_sentence_transformers.json spells them ("query", "Retrieval-query"), at most 64 characters. */
const promptName = (raw: string) => (/^[\w.:-]{1,64}$/.test(raw) ? raw : undefined);
const always = (description: string) => () => description;

// In dependency order: rule depends on steps.
const PARAMS: { [K in keyof ViewState]: Param<K> } = {
  a: { key: 'a', parse: text, describe: always('any text') },
  b: { key: 'b', parse: text, describe: always('any text') },
  model: { key: 'model', parse: (raw) => parseModelId(raw)?.id, describe: always('a model id (use-lite, a Hugging Face id, or local:folder)') },
  layer: {
    key: 'layer',
    parse: (raw) => {
      if (!/^\d{1,3}$/.test(raw)) return undefined;
      const layer = Number(raw);
      return layer <= MAX_LAYER_PARAM ? layer : undefined;
    },
    describe: always('a layer number'),
  },
  mode: { key: 'mode', parse: oneOf(PARAMETERS.mode), describe: always(allowedValues(PARAMETERS.mode)) },
  steps: {
    key: 'steps',
    parse: (raw) => {
      if (raw === 'auto') return PARAMETERS.steps.auto ? 'auto' : undefined;
      if (!/^\d{1,5}$/.test(raw)) return undefined;
      const steps = Number(raw);
      return integerProblem(PARAMETERS.steps, steps) === undefined ? steps : undefined;
    },
    describe: always(`${PARAMETERS.steps.auto ? 'auto or ' : ''}${integerRange(PARAMETERS.steps)}`),
  },
  rule: {
    key: 'rule',
    parse: (raw, view) => {
      const rule = choiceOf(PARAMETERS.rule, raw);
      return rule !== undefined && rulesFor(view.steps).includes(rule) ? rule : undefined;
    },
    describe: (view) =>
      view.steps === 'auto' ? `${listed(rulesFor('auto'))} with steps=auto` : allowedValues(PARAMETERS.rule),
    fallback: (view) => impliedRule(view.steps, undefined),
  },
  tol: {
    key: 'tol',
    parse: (raw) => {
      if (!/^[0-9.][0-9.eE+-]{0,23}$/.test(raw)) return undefined;
      const tol = Number(raw);
      return numberProblem(PARAMETERS.tol, tol) === undefined ? tol : undefined;
    },
    describe: always(`a number from ${PARAMETERS.tol.min} to ${PARAMETERS.tol.max}`),
  },
  sim: { key: 'sim', parse: oneOf(PARAMETERS.sim), describe: always(allowedValues(PARAMETERS.sim)) },
  // Which names exist is the model's to say: the engine refuses an unknown one, clearly.
  pa: { key: 'pa', parse: promptName, describe: always("the name of one of the model's prompts") },
  pb: { key: 'pb', parse: promptName, describe: always("the name of one of the model's prompts") },
};

/** The prompts a view asks for, as an attribution request names them. */
export function promptsOf(view: Pick<ViewState, 'pa' | 'pb'>): { promptA?: string; promptB?: string } {
  return { ...(view.pa ? { promptA: view.pa } : {}), ...(view.pb ? { promptB: view.pb } : {}) };
}

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
  const set = (key: keyof ViewState, value: unknown) => {
    (view as unknown as Record<string, unknown>)[key] = value;
  };
  if ((params.has('a') || params.has('b')) && !params.has('steps')) set('steps', LEGACY_DEFAULT_STEPS);
  for (const key of KEYS) {
    const param = PARAMS[key] as unknown as Param<typeof key>;
    const raw = params.get(key);
    const value = raw === null ? undefined : param.parse(raw, view);
    if (raw !== null && value === undefined) {
      const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
      notices.push(`Ignored ${key}="${shown}" in the link: expected ${param.describe(view)}; using the default.`);
    }
    if (value !== undefined) set(key, value);
    else if (param.fallback) set(key, param.fallback(view));
  }
  return { view, notices };
}

/** The value a link leaves out for `key`: the default, given the rest of the view. */
function leftOut(view: ViewState, key: keyof ViewState): ViewState[keyof ViewState] {
  return key === 'rule' ? impliedRule(view.steps, undefined) : DEFAULT_VIEW[key];
}

/** The attribution settings both pages share: a view without the explorer's texts. */
export type Settings = Omit<ViewState, 'a' | 'b'>;

export function settingsOf(view: ViewState): Settings {
  const settings: Partial<ViewState> = { ...view };
  delete settings.a;
  delete settings.b;
  return settings as Settings;
}

/** The parameters of a view (no leading "?" or "#"); defaults are left out to keep links short. */
export function serializeView(view: ViewState): string {
  return viewParams(view).toString();
}

/** The parameters of the settings alone (the Rank view carries its own texts). */
export function serializeSettings(settings: Settings): string {
  const params = viewParams({ ...settings, a: '', b: '' });
  params.delete('a');
  params.delete('b');
  return params.toString();
}

function viewParams(view: ViewState): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = view[key];
    // Texts are always written, so a link shows exactly what was compared; steps too,
    // since a link without it means the old default (LEGACY_DEFAULT_STEPS).
    const always = key === 'a' || key === 'b' || key === 'steps';
    if (!always && (value === null || value === leftOut(view, key))) continue;
    params.set(key, String(value));
  }
  return params;
}

/** The app's pages; a link names one with `page=` (none: the explorer). */
export const PAGES = ['explorer', 'rank', 'dataset'] as const;
export type Page = (typeof PAGES)[number];

export interface LinkLocation {
  page: Page;
  /** The view's parameters, for parseView. */
  params: string;
  /** True for a link in the old form (`?a=…`), whose texts reached the server: rewrite it as a fragment. */
  fromQuery: boolean;
}

/** Parameters of the old query-string links, which now live in the fragment. */
const LINK_KEYS = new Set<string>([...KEYS, 'page', 'q', 'texts', 'sel', 'cmp']);

/**
 * Where a link keeps its view: in the fragment (`#a=…`), which browsers never send to
 * the server; links from before (`?a=…`) are read from the query string when the
 * fragment holds nothing.
 */
export function parseLocation(search: string, hash: string): LinkLocation {
  const fragment = new URLSearchParams(hash.replace(/^#/, ''));
  const query = new URLSearchParams(search);
  const fromQuery = fragment.size === 0 && [...query.keys()].some((key) => LINK_KEYS.has(key));
  const params = fromQuery ? query : fragment;
  const page = PAGES.find((p) => p !== 'explorer' && p === params.get('page')) ?? 'explorer';
  return { page, params: params.toString(), fromQuery };
}

/** The query string left once a link's view moves to the fragment: only what is not part of a view (e.g. the test-only backend switch). */
export function nonViewQuery(search: string): string {
  const query = new URLSearchParams(search);
  for (const key of [...query.keys()]) if (LINK_KEYS.has(key)) query.delete(key);
  const rest = query.toString();
  return rest ? `?${rest}` : '';
}
