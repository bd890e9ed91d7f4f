/**
 * The `pairlens` command: the same model code as the app, in Node on WASM or CPU.
 * Results go to stdout as JSON; any error is one line on stderr and a non-zero exit.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_MAX_MODEL_MB, DEFAULT_MODEL, exactVariantOf } from '../model/catalog.ts';
import { embedText } from '../model/encoder.ts';
import { loadBundledModel, loadNodeModel } from '../model/node-models.ts';
import { DEFAULT_HUB_URL, validHubUrl } from '../model/hub.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { AttributionEngine, type AttributionRequest } from '../attribution/engine.ts';
import {
  allowedValues,
  choiceOf,
  integerRange,
  numberProblem,
  PARAMETERS,
  type ChoiceParameter,
  type IntegerParameter,
  type NumberParameter,
  type Steps,
} from '../attribution/parameters.ts';
import { parseReference, type Reference } from '../model/reference.ts';
import { attributionReport, attributionTable } from '../shared/report.ts';
import { startNodeBackend, type NodeBackend } from './node-backend.ts';

/** The attribution parameters with flags, in --help order; values, defaults and texts come from PARAMETERS. */
const ATTRIBUTION_FLAGS = ['layer', 'steps', 'rule', 'tol', 'mode', 'sim', 'method'] as const;
type AttributionFlag = (typeof ATTRIBUTION_FLAGS)[number];

/** The flag's name: the parameter's, except --tolerance for links' short "tol". */
function flagName(key: AttributionFlag): string {
  return key === 'tol' ? 'tolerance' : key;
}

/** What a flag's value looks like in usage lines: "exact|approx", or a placeholder. */
function valueShape(key: AttributionFlag): string {
  const p: ChoiceParameter<string> | IntegerParameter | NumberParameter = PARAMETERS[key];
  if (p.type === 'choice') return p.values.join('|');
  if (p.type === 'number') return 'T';
  return key === 'layer' ? 'L' : p.auto ? 'N|auto' : 'N';
}

/** The placeholder in the options list: "MODE", "N". */
function placeholder(key: AttributionFlag): string {
  return PARAMETERS[key].type === 'choice' ? key.toUpperCase() : valueShape(key);
}

/** Wraps `text` to `width` columns at its spaces (not at no-break spaces), continuing lines at `indent`. */
function wrap(text: string, indent: number, width = 96): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const OPTION_COLUMN = 21;

function optionLine(names: string, text: string): string {
  return `  ${names.padEnd(OPTION_COLUMN - 3)} ${wrap(text, OPTION_COLUMN)}`;
}

function attributionFlagHelp(flag: AttributionFlag): string {
  const p: ChoiceParameter<string> | IntegerParameter | NumberParameter = PARAMETERS[flag];
  const allowed =
    p.type === 'choice'
      ? `one of ${p.values.join(', ')}`
      : p.type === 'number'
        ? `a number from ${p.min} to ${p.max}`
        : `${p.auto ? 'auto or ' : ''}${integerRange(p)}${p.max === undefined ? " to the model's last layer" : ''}`;
  const fallback = p.type === 'integer' && p.defaultText ? p.defaultText : p.type === 'choice' && flag === 'rule' ? 'auto with steps auto, midpoint with a number of steps' : String(p.default);
  return optionLine(`--${flagName(flag)} ${placeholder(flag)}`, `${p.description}; ${allowed} (default: ${fallback})`);
}

export const HELP = `pairlens: token-pair attributions for Siamese sentence encoders

Usage:
  pairlens embed [--model ID|FOLDER] [--backend wasm|cpu] TEXT...
      Embed each TEXT; prints JSON {"model", "backend", "dim",
      "items": [{"text", "tokens", "droppedTokens", "embedding"}]}.

  pairlens attribute --a TEXT --b TEXT [--model ID|FOLDER]
                     ${wrap(ATTRIBUTION_FLAGS.map((f) => `[--${flagName(f)}\u00a0${valueShape(f)}]`).join(' '), 21, 90).replaceAll('\u00a0', ' ')}
                     [--reference TOKEN_ID|padding|zeros] [--backend wasm|cpu] [--json]
      Token-pair attributions (integrated Jacobians) of the similarity of A and B.
      A readable table, or with --json: {"model", "layer", "steps", "rule",
      "ruleRequested", "tolerance", "evaluations", "final", "converged", "errorEstimate",
      "levelChange", "completeness": {"a", "b"}, "reference", "backend", "version", "mode", "sim",
      "method", "tokensA", "tokensB", "matrix" (rows = tokens of A), "prediction",
      "shiftedPrediction", "referenceTerms": {"aRb", "rAb", "rArB"}, "target", "sum",
      "integrationError", "ms", "attributionModel", "exactModel"}.

  pairlens --help
      Show this help.

Options:
${optionLine(
  '--model ID|FOLDER',
  `model to use (default: ${DEFAULT_MODEL}, the bundled Universal Sentence Encoder lite): a folder holding a sentence-transformers model (Hugging Face layout), or a Hugging Face id such as sentence-transformers/all-MiniLM-L6-v2[@revision], downloaded once and kept in $PAIRLENS_CACHE (default ~/.cache/pairlens/hub)`,
)}
${optionLine('--hub-url URL', `Hub or mirror to download from (default: $PAIRLENS_HUB_URL, else $HF_ENDPOINT, else ${DEFAULT_HUB_URL})`)}
${optionLine('--max-mb N', `refuse models larger than N MB (default: ${DEFAULT_MAX_MODEL_MB})`)}
${optionLine('--backend NAME', 'TF.js backend: wasm (default) or cpu')}
${optionLine('--a, --b TEXT', 'the two texts to compare (attribute)')}
${ATTRIBUTION_FLAGS.map(attributionFlagHelp).join('\n')}
${optionLine(
  '--reference REF',
  'padding (the model\'s padding token, its special tokens kept; the default for Hugging Face models), a token id repeated (use-lite\'s default: 30, "▁"), or zeros at the chosen layer',
)}
${optionLine('--json', 'print JSON instead of a table')}
${optionLine('-h, --help', 'show this help')}
`;

export class UsageError extends Error {}

const COMMON_OPTIONS = {
  model: { type: 'string', default: DEFAULT_MODEL },
  'hub-url': { type: 'string' },
  'max-mb': { type: 'string', default: String(DEFAULT_MAX_MODEL_MB) },
  backend: { type: 'string', default: 'wasm' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

function parseBackend(value: string): NodeBackend {
  if (value === 'wasm' || value === 'cpu') return value;
  throw new UsageError(`--backend must be wasm or cpu, not "${value}"`);
}

async function embedCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: COMMON_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length === 0) throw new UsageError('embed needs at least one TEXT');
  const empty = positionals.findIndex((t) => t.trim().length === 0);
  if (empty >= 0) throw new UsageError(`TEXT ${empty + 1} is empty`);

  const backend = await startNodeBackend(parseBackend(values.backend));
  const model = await loadCliModel(values);
  try {
    const items = [];
    for (const text of positionals) {
      const item = await embedText(model, text);
      items.push({ ...item, embedding: Array.from(item.embedding) });
    }
    process.stdout.write(`${JSON.stringify({ model: model.id, backend, dim: model.outputSize, items })}\n`);
  } finally {
    model.dispose();
  }
}

/** --model and the options that say where its files come from. */
function loadCliModel(values: { model: string; 'hub-url'?: string; 'max-mb': string }): Promise<SentenceEncoder> {
  // HF_ENDPOINT is the Hugging Face libraries' own setting for a mirror.
  const rawHub = values['hub-url'] ?? process.env.PAIRLENS_HUB_URL ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL;
  const hubUrl = validHubUrl(rawHub);
  if (!hubUrl) throw new UsageError(`--hub-url must be an http(s) address, not "${rawHub}"`);
  const maxMb = Number(values['max-mb']);
  if (!(maxMb > 0)) throw new UsageError(`--max-mb must be a number of MB, not "${values['max-mb']}"`);
  return loadNodeModel(values.model, { hubUrl, maxBytes: maxMb * 1e6 });
}

function oneOf<T extends string>(p: ChoiceParameter<T>, value: string): T {
  const found = choiceOf(p, value);
  if (found === undefined) throw new UsageError(`--${p.name} must be ${allowedValues(p)}, not "${value}"`);
  return found;
}

function integer(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${flag} must be an integer, not "${value}"`);
  return Number(value);
}

function stepsFlag(value: string): Steps {
  return value.trim() === 'auto' ? 'auto' : integer('steps', value);
}

function toleranceFlag(value: string): number {
  const tolerance = Number(value);
  if (value.trim() === '' || numberProblem(PARAMETERS.tol, tolerance)) {
    throw new UsageError(`--tolerance must be a number from ${PARAMETERS.tol.min} to ${PARAMETERS.tol.max}, not "${value}"`);
  }
  return tolerance;
}

function referenceFlag(value: string | undefined): Reference | undefined {
  if (value === undefined) return undefined;
  const reference = parseReference(value);
  if (!reference) throw new UsageError(`--reference must be a token id, padding or zeros, not "${value}"`);
  return reference;
}

async function attributeCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    strict: true,
    options: {
      ...COMMON_OPTIONS,
      a: { type: 'string' },
      b: { type: 'string' },
      layer: { type: 'string' },
      steps: { type: 'string', default: 'auto' },
      tolerance: { type: 'string' },
      mode: { type: 'string', default: PARAMETERS.mode.default },
      sim: { type: 'string', default: PARAMETERS.sim.default },
      method: { type: 'string', default: PARAMETERS.method.default },
      rule: { type: 'string' },
      reference: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 0) throw new UsageError('attribute takes its texts as --a TEXT --b TEXT');
  if (values.a === undefined || values.b === undefined) throw new UsageError('attribute needs --a TEXT and --b TEXT');
  const partial = {
    a: values.a,
    b: values.b,
    steps: stepsFlag(values.steps),
    tolerance: values.tolerance === undefined ? undefined : toleranceFlag(values.tolerance),
    mode: oneOf(PARAMETERS.mode, values.mode),
    sim: oneOf(PARAMETERS.sim, values.sim),
    method: oneOf(PARAMETERS.method, values.method),
    rule: values.rule === undefined ? undefined : oneOf(PARAMETERS.rule, values.rule),
    reference: referenceFlag(values.reference),
  };
  if (partial.tolerance !== undefined && partial.steps !== 'auto') throw new UsageError('--tolerance goes with --steps auto');
  const layerFlag = values.layer === undefined ? undefined : integer('layer', values.layer);

  const backend = await startNodeBackend(parseBackend(values.backend));
  const model = await loadCliModel(values);
  // Exact mode explains the model's fine-tuned exact variant when it has one.
  const variant = partial.mode === 'exact' ? exactVariantOf(model.id) : undefined;
  const exactVariant = variant ? await loadBundledModel(variant) : undefined;
  const engine = new AttributionEngine(model, { exactVariant });
  try {
    const request: AttributionRequest = { ...partial, layer: layerFlag ?? model.numLayers - 1 };
    const result = await engine.attribute(request);
    const report = attributionReport(model.id, result, { backend });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : attributionTable(report));
  } finally {
    engine.clearCache();
    model.dispose();
    exactVariant?.dispose();
  }
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP);
        return 0;
      case 'embed':
        await embedCommand(rest);
        return 0;
      case 'attribute':
        await attributeCommand(rest);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}" (try: pairlens --help)`);
    }
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    process.stderr.write(`pairlens: ${message}\n`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
