/**
 * The `pairlens` command: the same model code as the app, in Node on WASM or CPU.
 * Results go to stdout as JSON; any error is one line on stderr and a non-zero exit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_MODEL, exactVariantOf } from '../model/catalog.ts';
import { encodeFrom } from '../model/encoder.ts';
import { loadBundledModel, loadNodeModel } from '../model/node-models.ts';
import { DEFAULT_HUB_URL, validHubUrl } from '../model/hub.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { AttributionEngine, type AttributionRequest } from '../attribution/engine.ts';
import { attributionReport, attributionTable } from '../shared/report.ts';
import { startNodeBackend, type NodeBackend } from './node-backend.ts';

export const HELP = `pairlens: token-pair attributions for Siamese sentence encoders

Usage:
  pairlens embed [--model ID|FOLDER] [--backend wasm|cpu] TEXT...
      Embed each TEXT; prints JSON {"model", "backend", "dim",
      "items": [{"text", "tokens", "droppedTokens", "embedding"}]}.

  pairlens attribute --a TEXT --b TEXT [--model ID|FOLDER] [--layer L] [--steps N]
                     [--mode exact|approx] [--sim cos|dot] [--method jvp|vjp]
                     [--rule midpoint|right] [--reference TOKEN_ID|padding|zeros]
                     [--backend wasm|cpu] [--json]
      Token-pair attributions (integrated Jacobians) of the similarity of A and B.
      A readable table, or with --json: {"model", "layer", "steps", "mode", "sim",
      "method", "tokensA", "tokensB", "matrix" (rows = tokens of A), "prediction",
      "shiftedPrediction", "referenceTerms": {"aRb", "rAb", "rArB"}, "target", "sum",
      "integrationError", "ms"}.

  pairlens --help
      Show this help.

Options:
  --model ID|FOLDER  model to use (default: ${DEFAULT_MODEL}, the bundled Universal Sentence Encoder lite):
                     a folder holding a sentence-transformers model (Hugging Face layout), or
                     a Hugging Face id such as sentence-transformers/all-MiniLM-L6-v2[@revision],
                     downloaded once and kept in $PAIRLENS_CACHE (default ~/.cache/pairlens/hub)
  --hub-url URL      Hub or mirror to download from (default: $PAIRLENS_HUB_URL, else
                     $HF_ENDPOINT, else ${DEFAULT_HUB_URL})
  --max-mb N         refuse models larger than N MB (default: 600)
  --backend NAME     TF.js backend: wasm (default) or cpu
  --a, --b TEXT      the two texts to compare (attribute)
  --layer L          attribute the input of layer L; 0 = the embedding output (default: last layer)
  --steps N          integration steps, a power of two from 8 to 1024 (default: 64)
  --mode MODE        approx (the unmodified model; default) or exact (the model's fine-tuned
                     exact variant, e.g. use-lite-exact; an exact checkpoint made by the
                     papers' code as it is; else the model shifted so its reference maps
                     to zero, not fine-tuned)
  --sim SIM          cos (default) or dot
  --method METHOD    jvp (forward mode, default) or vjp (one backward pass per output dimension)
  --rule RULE        quadrature: midpoint (default) or right (the papers' right Riemann sum)
  --reference REF    padding (the model's padding token, its special tokens kept; the default for
                     Hugging Face models), a token id repeated (use-lite's default: 30, "▁"), or
                     zeros at the chosen layer
  --json             print JSON instead of a table
  -h, --help         show this help
`;

export class UsageError extends Error {}

const COMMON_OPTIONS = {
  model: { type: 'string', default: DEFAULT_MODEL },
  'hub-url': { type: 'string' },
  'max-mb': { type: 'string', default: '600' },
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
      const tokenized = model.tokenize(text);
      const output = tf.tidy(() => encodeFrom(model, 0, model.embed(tokenized.ids)));
      const embedding = Array.from(await output.data());
      output.dispose();
      items.push({ text, tokens: tokenized.pieces, droppedTokens: tokenized.droppedTokens, embedding });
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

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be ${allowed.join(' or ')}, not "${value}"`);
}

function integer(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${flag} must be an integer, not "${value}"`);
  return Number(value);
}

function parseReference(value: string | undefined): AttributionRequest['reference'] {
  if (value === undefined) return undefined;
  if (value === 'zeros') return { kind: 'zeros' };
  if (value === 'padding') return { kind: 'padding' };
  return { kind: 'token', id: integer('reference', value) };
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
      steps: { type: 'string', default: '64' },
      mode: { type: 'string', default: 'approx' },
      sim: { type: 'string', default: 'cos' },
      method: { type: 'string', default: 'jvp' },
      rule: { type: 'string', default: 'midpoint' },
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
    steps: integer('steps', values.steps),
    mode: oneOf('mode', values.mode, ['exact', 'approx'] as const),
    sim: oneOf('sim', values.sim, ['cos', 'dot'] as const),
    method: oneOf('method', values.method, ['jvp', 'vjp'] as const),
    rule: oneOf('rule', values.rule, ['midpoint', 'right'] as const),
    reference: parseReference(values.reference),
  };
  const layerFlag = values.layer === undefined ? undefined : integer('layer', values.layer);

  const backend = await startNodeBackend(parseBackend(values.backend));
  const model = await loadCliModel(values);
  // Exact mode explains the model's fine-tuned exact variant when it has one.
  const variant = partial.mode === 'exact' ? exactVariantOf(model.id) : undefined;
  const exactModel = variant ? await loadBundledModel(variant) : undefined;
  const engine = new AttributionEngine(model, { exactModel });
  try {
    const request: AttributionRequest = { ...partial, layer: layerFlag ?? model.numLayers - 1 };
    const result = await engine.attribute(request);
    const report = attributionReport(model.id, result);
    process.stdout.write(values.json ? `${JSON.stringify({ ...report, backend })}\n` : attributionTable(report));
  } finally {
    engine.clearCache();
    model.dispose();
    exactModel?.dispose();
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
