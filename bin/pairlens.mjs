#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx compiles on the fly), so the CLI and the app
// share one source tree without a separate build step.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('./extensionless-esm.mjs', import.meta.url);
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
