/**
 * The `pairlens` command: the same model code as the app, in Node on WASM or CPU.
 * Results go to stdout as JSON; any error is one line on stderr and a non-zero exit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_MODEL } from '../model/catalog.ts';
import { encodeFrom } from '../model/encoder.ts';
import { loadBundledModel } from '../model/node-models.ts';
import { startNodeBackend, type NodeBackend } from './node-backend.ts';

export const HELP = `pairlens: token-pair attributions for Siamese sentence encoders

Usage:
  pairlens embed [--model ID] [--backend wasm|cpu] TEXT...
      Embed each TEXT; prints JSON {"model", "backend", "dim",
      "items": [{"text", "tokens", "droppedTokens", "embedding"}]}.

  pairlens --help
      Show this help.

Options:
  --model ID         model to use (default: ${DEFAULT_MODEL}, the bundled Universal Sentence Encoder lite)
  --backend NAME     TF.js backend: wasm (default) or cpu
  -h, --help         show this help
`;

export class UsageError extends Error {}

const COMMON_OPTIONS = {
  model: { type: 'string', default: DEFAULT_MODEL },
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
  const model = await loadBundledModel(values.model);
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
      default:
        throw new UsageError(`unknown command "${command}" (try: pairlens --help)`);
    }
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    process.stderr.write(`pairlens: ${message}\n`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
