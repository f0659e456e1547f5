#!/usr/bin/env node
// `npm run build` (and `npm pack` through prepack): dist/ from src/ with tsc (tsconfig.build.json),
// ESM JavaScript, .d.ts and source maps. A fresh dist/ each time, so that a module removed from
// src/ does not linger in the package.
//
// tsc rewrites the sources' `.ts` import specifiers to `.js` in the JavaScript it emits, but leaves
// them as written in the .d.ts files; consumers' compilers resolve `./x.ts` to `./x.d.ts` only in
// recent versions and with some settings, so the declarations are given `.js` specifiers too.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

const RELATIVE_TS = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g;
let files = 0;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(RELATIVE_TS, '$1$2$3.js$2');
  if (fixed !== text) {
    writeFileSync(file, fixed);
    files++;
  }
}
console.log(`build: dist/ written (${files} declaration files with .ts specifiers rewritten to .js)`);
