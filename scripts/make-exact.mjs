#!/usr/bin/env node
// Runs scripts/make-exact.ts (TypeScript, via tsx) with the resolve hook that lets
// Node load TF.js's gradient definitions, which fine-tuning needs.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('../bin/extensionless-esm.mjs', import.meta.url);
const { main } = await import('./make-exact.ts');
process.exitCode = await main(process.argv.slice(2));
