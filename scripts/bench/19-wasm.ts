/**
 * Issue 19: the generated WebAssembly solver (src/wasm/) against the TypeScript path, forward
 * solve and ACA gradient, on the figure-eight three-body orbit (hand-written N-body field and the
 * same system as an equation model), Lotka-Volterra (equation model), and 10- and 50-body
 * clusters (N-body field), dopri5 at rtol = atol = 1e-8. Both back ends take the same steps (the
 * script checks it). Timing: scripts/lib/measure.ts timeSideBySide (interleaved rounds, medians
 * of per-round ratios). Also: module build time (generate + compile, paid once per field and
 * method per thread) and the controller's power function against Math.pow.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { nbodyModel } from '../../src/fields/expression/nbody.ts';
import type { Field } from '../../src/fields/field.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import type { Loss } from '../../src/losses/loss.ts';
import { getMethod } from '../../src/solvers/methods.ts';
import { controllerPow } from '../../src/solvers/pow.ts';
import { solve } from '../../src/solvers/solve.ts';
import { createRng } from '../../src/util/random.ts';
import { WasmSolver } from '../../src/wasm/backend.ts';
import { printTable } from '../lib/measure.ts';

/**
 * This process's CPU time in microseconds (user + system). On a machine shared with many other
 * processes, wall time mostly measures the scheduler; CPU time counts only what we ran (compiler
 * and GC threads included).
 */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Median CPU microseconds per call of each subject and median per-round ratio to the first. */
function interleaved(subjects: (() => void)[], rounds = 41, chunkMs = 4): { medians: number[]; ratios: number[] } {
  for (const fn of subjects) for (let k = 0; k < 3; k++) fn();
  const reps = subjects.map((fn) => {
    const start = cpuMicros();
    let n = 0;
    while (cpuMicros() - start < chunkMs * 1000) {
      fn();
      n++;
    }
    return Math.max(1, n);
  });
  const perRound: number[][] = subjects.map(() => []);
  for (let r = 0; r < rounds; r++) {
    subjects.forEach((fn, i) => {
      const t0 = cpuMicros();
      for (let q = 0; q < reps[i]; q++) fn();
      perRound[i].push((cpuMicros() - t0) / reps[i]);
    });
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  return { medians: perRound.map(median), ratios: perRound.map((times) => median(times.map((t, r) => t / perRound[0][r]))) };
}

const here = dirname(fileURLToPath(import.meta.url));
const data = (name: string) => JSON.parse(readFileSync(join(here, '../../data/problems', `${name}.json`), 'utf8'));
const TOL = 1e-8;

interface Problem {
  name: string;
  field: Field;
  /** Builds a fresh field of the same model (for the module build time). */
  fresh: () => Field;
  y0: number[];
  params: number[];
  times: number[];
}

const sumSquares: Loss = (y, _t, g) => {
  let L = 0;
  for (let q = 0; q < y.length; q++) {
    L += y[q] * y[q];
    g[q] = 2 * y[q];
  }
  return L;
};

function cluster(n: number, seed: number): Problem {
  const rng = createRng(seed);
  const y0 = [...Array.from({ length: 3 * n }, () => rng.uniform(-n, n)), ...Array.from({ length: 3 * n }, () => rng.uniform(-0.2, 0.2))];
  const params = Array.from({ length: n }, () => rng.uniform(0.5, 1.5));
  return { name: `${n}-body cluster (N-body field)`, field: nbodyField({ bodies: n }), fresh: () => nbodyField({ bodies: n }), y0, params, times: [0, 10] };
}

const fig = data('three_body_figure_eight');
const lv = data('lotka_volterra');
const lvModel = { states: ['x', 'y'], params: ['a', 'b', 'c', 'd'], equations: { x: 'a*x - b*x*y', y: 'c*x*y - d*y' } };
const problems: Problem[] = [
  { name: 'figure-eight (N-body field)', field: nbodyField({ bodies: 3, G: fig.G }), fresh: () => nbodyField({ bodies: 3, G: fig.G }), y0: fig.y0, params: fig.masses, times: [0, fig.period] },
  { name: 'figure-eight (equation model)', field: expressionField(nbodyModel({ bodies: 3, G: fig.G })), fresh: () => expressionField(nbodyModel({ bodies: 3, G: fig.G })), y0: fig.y0, params: fig.masses, times: [0, fig.period] },
  { name: 'Lotka-Volterra (equation model)', field: expressionField(lvModel), fresh: () => expressionField(lvModel), y0: lv.y0, params: [lv.params.a, lv.params.b, lv.params.c, lv.params.d], times: lv.observation_times },
  cluster(10, 10),
  cluster(50, 50),
];

console.log(`load average (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(1)).join(', ')}; node ${process.version}`);
const rows: string[][] = [];
for (const P of problems) {
  const base = { times: P.times, params: P.params, rtol: TOL, atol: TOL };
  const js = solve(P.field, P.y0, { ...base, backend: 'js' });
  const wasm = solve(P.field, P.y0, { ...base, backend: 'wasm' });
  const same = js.stats.accepted === wasm.stats.accepted && js.stats.rejected === wasm.stats.rejected && js.y.every((v, q) => Object.is(v, wasm.y[q]));
  if (!same) throw new Error(`${P.name}: the back ends disagree`);
  const gOpts = { ...base, loss: sumSquares };
  const gj = gradient(P.field, P.y0, { ...gOpts, backend: 'js' });
  const gw = gradient(P.field, P.y0, { ...gOpts, backend: 'wasm' });
  if (!gj.dp.every((v, q) => Object.is(v, gw.dp[q]))) throw new Error(`${P.name}: the gradients disagree`);
  const fwd = interleaved([() => solve(P.field, P.y0, { ...base, backend: 'js' }), () => solve(P.field, P.y0, { ...base, backend: 'wasm' })]);
  const grad = interleaved([() => gradient(P.field, P.y0, { ...gOpts, backend: 'js' }), () => gradient(P.field, P.y0, { ...gOpts, backend: 'wasm' })]);
  // Module build: generate the bytes and compile, for a fresh field each time (median of 7).
  const builds: number[] = [];
  let bytes = 0;
  for (let r = 0; r < 7; r++) {
    const s = new WasmSolver(P.fresh(), getMethod('dopri5'), true);
    builds.push(s.buildMs);
    bytes = s.bytes;
  }
  builds.sort((a, b) => a - b);
  rows.push([
    P.name,
    String(P.field.dim),
    `${js.stats.accepted}/${js.stats.rejected}`,
    fwd.medians[0].toFixed(1),
    fwd.medians[1].toFixed(1),
    (1 / fwd.ratios[1]).toFixed(2),
    grad.medians[0].toFixed(1),
    grad.medians[1].toFixed(1),
    (1 / grad.ratios[1]).toFixed(2),
    builds[3].toFixed(2),
    String(bytes),
  ]);
}
printTable(
  ['problem (dopri5, 1e-8)', 'd', 'acc/rej', 'solve js us', 'wasm us', 'speedup', 'ACA js us', 'wasm us', 'speedup', 'build ms', 'bytes'],
  rows,
);
console.log('speedup: median over interleaved rounds of (TypeScript time / WebAssembly time); both take the same steps.');

// The controller's power function: controllerPow (exp/log from + - * /) against Math.pow.
let sink = 0;
const xs = Float64Array.from({ length: 1024 }, (_, k) => 1e-3 + k * 1e-3);
const pw = interleaved([
  () => {
    for (let k = 0; k < 1024; k++) sink += Math.pow(xs[k], -0.2);
  },
  () => {
    for (let k = 0; k < 1024; k++) sink += controllerPow(xs[k], -0.2);
  },
]);
console.log(`err^(-1/5): Math.pow ${((pw.medians[0] * 1000) / 1024).toFixed(1)} ns, controllerPow ${((pw.medians[1] * 1000) / 1024).toFixed(1)} ns per call (ratio ${pw.ratios[1].toFixed(2)})${sink === 0 ? '' : ''}`);
