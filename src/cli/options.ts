/**
 * The flags the commands share (model, backend, attribution settings) and how they are
 * read: values checked against PARAMETERS, usage errors as UsageError (exit 2), and the
 * engine a command runs on.
 */
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_MAX_MODEL_MB, DEFAULT_MODEL, exactVariantOf } from '../model/catalog.ts';
import { loadBundledModel, loadNodeModel } from '../model/node-models.ts';
import { DEFAULT_HUB_URL, validHubUrl } from '../model/hub.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { AttributionEngine, type AttributionRequest, type EngineOptions } from '../attribution/engine.ts';
import { allowedValues, choiceOf, numberProblem, PARAMETERS, type ChoiceParameter, type Steps } from '../attribution/parameters.ts';
import { parseReference, type Reference } from '../model/reference.ts';
import { NODE_BACKENDS, startNodeBackend, type NodeBackend } from './node-backend.ts';

export class UsageError extends Error {}

export const COMMON_OPTIONS = {
  model: { type: 'string', default: DEFAULT_MODEL },
  'hub-url': { type: 'string' },
  'max-mb': { type: 'string', default: String(DEFAULT_MAX_MODEL_MB) },
  backend: { type: 'string', default: 'wasm' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

export function parseBackend(value: string): NodeBackend {
  const backend = NODE_BACKENDS.find((b) => b === value);
  if (backend) return backend;
  throw new UsageError(`--backend must be wasm or cpu (or webgpu, on a GPU), not "${value}"`);
}

/** --model and the options that say where its files come from. */
export function loadCliModel(values: { model: string; 'hub-url'?: string; 'max-mb': string }): Promise<SentenceEncoder> {
  // HF_ENDPOINT is the Hugging Face libraries' own setting for a mirror.
  const rawHub = values['hub-url'] ?? process.env.PAIRLENS_HUB_URL ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL;
  const hubUrl = validHubUrl(rawHub);
  if (!hubUrl) throw new UsageError(`--hub-url must be an http(s) address, not "${rawHub}"`);
  const maxMb = Number(values['max-mb']);
  if (!(maxMb > 0)) throw new UsageError(`--max-mb must be a number of MB, not "${values['max-mb']}"`);
  return loadNodeModel(values.model, { hubUrl, maxBytes: maxMb * 1e6 });
}

export function oneOf<T extends string>(p: ChoiceParameter<T>, value: string): T {
  const found = choiceOf(p, value);
  if (found === undefined) throw new UsageError(`--${p.name} must be ${allowedValues(p)}, not "${value}"`);
  return found;
}

export function integer(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${flag} must be an integer, not "${value}"`);
  return Number(value);
}

export function stepsFlag(value: string): Steps {
  return value.trim() === 'auto' ? 'auto' : integer('steps', value);
}

export function toleranceFlag(value: string): number {
  const tolerance = Number(value);
  if (value.trim() === '' || numberProblem(PARAMETERS.tol, tolerance)) {
    throw new UsageError(`--tolerance must be a number from ${PARAMETERS.tol.min} to ${PARAMETERS.tol.max}, not "${value}"`);
  }
  return tolerance;
}

export function referenceFlag(value: string | undefined): Reference | undefined {
  if (value === undefined) return undefined;
  const reference = parseReference(value);
  if (!reference) throw new UsageError(`--reference must be a token id, padding or zeros, not "${value}"`);
  return reference;
}

/** The model and attribution settings' flags of the commands that attribute (attribute, rank, batch). */
export const SETTINGS_OPTIONS = {
  ...COMMON_OPTIONS,
  layer: { type: 'string' },
  steps: { type: 'string', default: 'auto' },
  tolerance: { type: 'string' },
  mode: { type: 'string', default: PARAMETERS.mode.default },
  sim: { type: 'string', default: PARAMETERS.sim.default },
  method: { type: 'string', default: PARAMETERS.method.default },
  rule: { type: 'string' },
  reference: { type: 'string' },
  'prompt-a': { type: 'string' },
  'prompt-b': { type: 'string' },
} satisfies ParseArgsConfig['options'];

/** The flags of the commands that attribute and print (attribute, rank). */
export const ATTRIBUTION_OPTIONS = { ...SETTINGS_OPTIONS, json: { type: 'boolean', default: false } } satisfies ParseArgsConfig['options'];

export interface AttributionValues {
  layer?: string;
  steps: string;
  tolerance?: string;
  mode: string;
  sim: string;
  method: string;
  rule?: string;
  reference?: string;
  'prompt-a'?: string;
  'prompt-b'?: string;
}

/** The attribution settings the flags ask for (the layer stays undefined until the model is known). */
export function attributionSettings(values: AttributionValues): Omit<AttributionRequest, 'a' | 'b' | 'layer'> & { layer: number | undefined } {
  const settings = {
    layer: values.layer === undefined ? undefined : integer('layer', values.layer),
    steps: stepsFlag(values.steps),
    tolerance: values.tolerance === undefined ? undefined : toleranceFlag(values.tolerance),
    mode: oneOf(PARAMETERS.mode, values.mode),
    sim: oneOf(PARAMETERS.sim, values.sim),
    method: oneOf(PARAMETERS.method, values.method),
    rule: values.rule === undefined ? undefined : oneOf(PARAMETERS.rule, values.rule),
    reference: referenceFlag(values.reference),
    // Names of the model's prompts; the engine checks them against the model.
    promptA: values['prompt-a'],
    promptB: values['prompt-b'],
  };
  if (settings.tolerance !== undefined && settings.steps !== 'auto') throw new UsageError('--tolerance goes with --steps auto');
  return settings;
}

/**
 * Starts the backend, loads --model (and, in exact mode, its fine-tuned exact variant
 * when it has one) and runs `run` with an engine on them; frees everything after.
 */
export async function withEngine<T>(
  values: Parameters<typeof loadCliModel>[0] & { backend: string },
  settings: Pick<ReturnType<typeof attributionSettings>, 'layer' | 'mode'>,
  run: (engine: AttributionEngine, layer: number, backend: NodeBackend) => Promise<T>,
  engineOptions: Omit<EngineOptions, 'exactVariant'> = {},
): Promise<T> {
  const backend = await startNodeBackend(parseBackend(values.backend));
  const model = await loadCliModel(values);
  const variant = settings.mode === 'exact' ? exactVariantOf(model.id) : undefined;
  const exactVariant = variant ? await loadBundledModel(variant) : undefined;
  const engine = new AttributionEngine(model, { ...engineOptions, exactVariant });
  try {
    return await run(engine, settings.layer ?? model.numLayers - 1, backend);
  } finally {
    engine.clearCache();
    model.dispose();
    exactVariant?.dispose();
  }
}

