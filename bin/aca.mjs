#!/usr/bin/env node
// The `aca-ode` command (also installed as `aca`). From the package it runs the compiled
// JavaScript in dist/. In a checkout, where src/ is present, it runs the TypeScript sources
// through tsx's loader instead: `npx aca` works right after `npm ci` with no build step, and a
// stale dist/ left by `npm run build` is never what runs.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
