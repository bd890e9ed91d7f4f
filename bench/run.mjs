#!/usr/bin/env node
// `npm run bench`: runs the TypeScript benchmark directly (tsx compiles on the fly),
// the same way bin/pairlens.mjs runs the CLI, with the resolve hook that lets Node load
// TF.js's per-file ESM build (where the gradients live, needed by the reverse route).
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../bin/extensionless-esm.mjs', import.meta.url);
// `npm run bench -- --convergence …` measures the quadrature rules instead (convergence.ts),
// `npm run bench -- --rank …` what ranking passages costs (rank.ts).
const args = process.argv.slice(2);
const part = args.includes('--convergence') ? './convergence.ts' : args.includes('--rank') ? './rank.ts' : './main.ts';
const script = process.env.PAIRLENS_BENCH_SCRIPT ?? part;
const { main } = await import(script);
process.exitCode = await main(args.filter((a) => a !== '--convergence' && a !== '--rank'));
