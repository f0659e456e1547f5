/**
 * Forward-solve benchmark on the figure-eight three-body orbit (data/problems, the project's copy
 * of data/problems/three_body_figure_eight.json), one period T.
 *
 * 1. dopri5 at rtol = atol = 1e-8, side by side in one run with
 *    (a) a hand-written single-function Dopri5 loop on Float64Array (below): the no-abstraction
 *        floor. It calls the same field.f and follows the library's rules exactly (Hairer's initial
 *        step, integral controller with safety 0.9 and factor bounds [0.2, 10], no growth after a
 *        rejection, the same scaled RMS error norm, the same landing on t1), so its step counts
 *        must equal the library's; the script checks that;
 *    (b) odex (npm `odex`, Hairer's ODEX extrapolation code), its tolerance tuned so that its
 *        achieved error at t = T matches dopri5's.
 * 2. A work-precision table (achieved error against time) for dopri5, tsit5, dopri8 and odex.
 *
 * Errors are max-abs over the 18 components at t = T against dopri8 at rtol = atol = 1e-14.
 * Timing: warm-up, then the contenders interleaved round by round; each round times a batch of
 * solves, and the figure is the median over rounds of the time per solve.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
// The solver's own modules rather than the package index, which also loads the tensor and
// worker-pool layers: nothing here needs them.
import type { Field } from '../../src/fields/field.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import { solve } from '../../src/solvers/solve.ts';

// ---------------------------------------------------------------------------------------------
// Problem

interface FigureEight {
  readonly y0: number[];
  readonly masses: number[];
  readonly period: number;
  readonly G: number;
}
const here = dirname(fileURLToPath(import.meta.url));
const problem: FigureEight = JSON.parse(
  readFileSync(join(here, '../../data/problems/three_body_figure_eight.json'), 'utf8'),
);
const field = nbodyField({ bodies: 3, dims: 3, G: problem.G });
const params = Float64Array.from(problem.masses);
const y0 = Float64Array.from(problem.y0);
const T = problem.period;
const TOL = 1e-8;

// ---------------------------------------------------------------------------------------------
// Contenders

interface Run {
  y: ArrayLike<number>;
  fEvals: number;
  accepted: number;
  rejected: number;
}

function runLibrary(method: string, tol: number): Run {
  const sol = solve(field, y0, { times: [T], t0: 0, method, params, rtol: tol, atol: tol });
  return { y: sol.y, ...sol.stats };
}

// odex is CommonJS and ships its TypeScript source rather than declarations, so it is loaded with
// require and typed here with just what the benchmark uses. Its callback takes and returns plain
// arrays; odex copies the result, so one buffer is reused.
type OdexDerivative = (x: number, y: number[]) => number[];
interface OdexSolver {
  absoluteTolerance: number;
  relativeTolerance: number;
  maxSteps: number;
  solve(f: OdexDerivative, x: number, y0: number[], xEnd: number): {
    y: number[];
    outcome: number;
    nAccept: number;
    nReject: number;
    nEval: number;
  };
}
const odex = createRequire(import.meta.url)('odex') as { Solver: new (n: number) => OdexSolver };
const odexIn = new Float64Array(field.dim);
const odexOut = new Float64Array(field.dim);
const odexF: OdexDerivative = (x, y) => {
  for (let i = 0; i < y.length; i++) odexIn[i] = y[i];
  field.f(x, odexIn, params, odexOut);
  return odexOut as unknown as number[];
};
const odexY0 = Array.from(y0);

function runOdex(tol: number): Run {
  const s = new odex.Solver(field.dim);
  s.absoluteTolerance = tol;
  s.relativeTolerance = tol;
  s.maxSteps = 1_000_000;
  const r = s.solve(odexF, 0, odexY0, T);
  if (r.outcome !== 0) throw new Error(`odex failed with outcome ${r.outcome} at tol ${tol}`);
  return { y: r.y, fEvals: r.nEval, accepted: r.nAccept, rejected: r.nReject };
}

// ---------------------------------------------------------------------------------------------
// Measurement

const reference = runLibrary('dopri8', 1e-14).y;
const referenceCheck = runOdex(1e-14).y;

function achievedError(y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < field.dim; i++) m = Math.max(m, Math.abs(y[i] - reference[i]));
  return m;
}

/** Median microseconds per call of each function, measured interleaved. */
function timeInterleaved(fns: (() => unknown)[], rounds: number, batchMs = 15): number[] {
  const batch = fns.map((fn) => {
    for (let i = 0; i < 20; i++) fn(); // warm-up (JIT)
    let n = 1;
    for (;;) {
      const t = performance.now();
      for (let i = 0; i < n; i++) fn();
      if (performance.now() - t >= batchMs || n >= 1 << 20) return n;
      n *= 2;
    }
  });
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const t = performance.now();
      for (let i = 0; i < batch[k]; i++) fn();
      samples[k].push(((performance.now() - t) * 1000) / batch[k]);
    });
  }
  return samples.map(median);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The loosest odex tolerance (on a grid of 16 per decade) whose achieved error is <= target. */
function matchOdexTolerance(target: number): number {
  let best = NaN;
  for (let k = 4 * 16; k <= 14 * 16; k++) {
    const tol = Math.pow(10, -k / 16);
    if (achievedError(runOdex(tol).y) <= target) {
      best = tol;
      break;
    }
  }
  if (Number.isNaN(best)) throw new Error(`odex does not reach error ${target}`);
  return best;
}

// ---------------------------------------------------------------------------------------------
// 1. Side by side at rtol = atol = 1e-8

const lib = runLibrary('dopri5', TOL);
const hand = handDopri5(field, params, y0, 0, T, TOL, TOL);
if (hand.accepted !== lib.accepted || hand.rejected !== lib.rejected || hand.fEvals !== lib.fEvals) {
  throw new Error(
    `hand-written loop and library disagree on step counts: ${JSON.stringify(hand)} vs ${JSON.stringify(lib)}`,
  );
}
const libErr = achievedError(lib.y);
const odexTol = matchOdexTolerance(libErr);
const odexRun = runOdex(odexTol);

const [tLib, tHand, tOdex] = timeInterleaved(
  [() => runLibrary('dopri5', TOL), () => handDopri5(field, params, y0, 0, T, TOL, TOL), () => runOdex(odexTol)],
  61,
);

console.log(`Figure-eight orbit (3 bodies, d = 18), t in [0, ${T}], one period.`);
console.log(
  `Reference: dopri8 at rtol = atol = 1e-14; it differs from odex at 1e-14 by ${fmtE(achievedError(referenceCheck))}.`,
);
console.log(`Node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'}; median of 61 interleaved rounds, each a batch of >= 15 ms.\n`);
printTable(
  ['solver', 'tolerance', 'us/solve', 'f evals', 'accepted', 'rejected', 'error at T', 'time / library'],
  [
    ['aca-ode dopri5', fmtE(TOL), fmtF(tLib), lib.fEvals, lib.accepted, lib.rejected, fmtE(libErr), '1.00'],
    [
      'hand-written Dopri5 loop',
      fmtE(TOL),
      fmtF(tHand),
      hand.fEvals,
      hand.accepted,
      hand.rejected,
      fmtE(achievedError(hand.y)),
      (tHand / tLib).toFixed(2),
    ],
    [
      'odex (matched accuracy)',
      fmtE(odexTol),
      fmtF(tOdex),
      odexRun.fEvals,
      odexRun.accepted,
      odexRun.rejected,
      fmtE(achievedError(odexRun.y)),
      (tOdex / tLib).toFixed(2),
    ],
  ],
);
const overhead = tLib / tHand;
const speedup = tOdex / tLib;
console.log(
  `\nGoal: library within 1.2x of the hand-written loop: ${overhead.toFixed(3)}x  ${overhead <= 1.2 ? 'MET' : 'MISSED'}`,
);
console.log(
  `Goal: faster than odex at equal accuracy:          odex takes ${speedup.toFixed(2)}x the library's time  ${speedup > 1 ? 'MET' : 'MISSED'}`,
);

// ---------------------------------------------------------------------------------------------
// 2. Work-precision table

const tolerances = [1e-4, 1e-6, 1e-8, 1e-10, 1e-12];
const contenders: [string, (tol: number) => Run][] = [
  ['dopri5', (tol) => runLibrary('dopri5', tol)],
  ['tsit5', (tol) => runLibrary('tsit5', tol)],
  ['dopri8', (tol) => runLibrary('dopri8', tol)],
  ['odex', runOdex],
];
const rows: (string | number)[][] = [];
for (const tol of tolerances) {
  const runs = contenders.map(([, run]) => run(tol));
  const times = timeInterleaved(
    contenders.map(([, run]) => () => run(tol)),
    21,
    10,
  );
  contenders.forEach(([name], k) => {
    rows.push([name, fmtE(tol), fmtE(achievedError(runs[k].y)), fmtF(times[k]), runs[k].fEvals, runs[k].accepted, runs[k].rejected]);
  });
}
console.log('\nWork-precision (rtol = atol = tolerance; error max-abs at t = T; median of 21 rounds):\n');
printTable(['method', 'tolerance', 'error at T', 'us/solve', 'f evals', 'accepted', 'rejected'], rows);

// ---------------------------------------------------------------------------------------------
// The hand-written floor

/**
 * Dormand-Prince 5(4) in one function with every coefficient inlined (Solving ODEs I, sec. II.5,
 * Table 5.2), following the library's rules step for step so that the step counts agree.
 */
function handDopri5(
  f: Field,
  p: Float64Array,
  yInit: Float64Array,
  t0: number,
  t1: number,
  rtol: number,
  atol: number,
): Run {
  const n = yInit.length;
  const y = Float64Array.from(yInit);
  const yNew = new Float64Array(n);
  const ys = new Float64Array(n);
  let k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const k5 = new Float64Array(n);
  const k6 = new Float64Array(n);
  let k7 = new Float64Array(n);
  const dir = t1 > t0 ? 1 : -1;
  let t = t0;
  let fEvals = 0;
  let accepted = 0;
  let rejected = 0;

  f.f(t, y, p, k1);
  fEvals++;

  // Hairer's initial step (Solving ODEs I, p. 169).
  let d0 = 0;
  let d1 = 0;
  for (let i = 0; i < n; i++) {
    const sc = atol + rtol * Math.abs(y[i]);
    d0 += (y[i] / sc) ** 2;
    d1 += (k1[i] / sc) ** 2;
  }
  d0 = Math.sqrt(d0 / n);
  d1 = Math.sqrt(d1 / n);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  for (let i = 0; i < n; i++) ys[i] = y[i] + dir * h0 * k1[i];
  f.f(t + dir * h0, ys, p, k2);
  fEvals++;
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    const sc = atol + rtol * Math.abs(y[i]);
    d2 += ((k2[i] - k1[i]) / sc) ** 2;
  }
  d2 = Math.sqrt(d2 / n) / h0;
  const dmax = Math.max(d1, d2);
  const hInit = dmax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / dmax, 1 / 6);
  let h = Math.min(100 * h0, hInit, Math.abs(t1 - t0));

  while (t !== t1) {
    let hs = dir * h;
    let landing = false;
    if (dir * (t + 1.01 * hs - t1) >= 0) {
      hs = t1 - t;
      landing = true;
    }
    for (let i = 0; i < n; i++) ys[i] = y[i] + hs * (0.2 * k1[i]);
    f.f(t + 0.2 * hs, ys, p, k2);
    for (let i = 0; i < n; i++) ys[i] = y[i] + hs * ((3 / 40) * k1[i] + (9 / 40) * k2[i]);
    f.f(t + 0.3 * hs, ys, p, k3);
    for (let i = 0; i < n; i++) {
      ys[i] = y[i] + hs * ((44 / 45) * k1[i] - (56 / 15) * k2[i] + (32 / 9) * k3[i]);
    }
    f.f(t + 0.8 * hs, ys, p, k4);
    for (let i = 0; i < n; i++) {
      ys[i] =
        y[i] +
        hs * ((19372 / 6561) * k1[i] - (25360 / 2187) * k2[i] + (64448 / 6561) * k3[i] - (212 / 729) * k4[i]);
    }
    f.f(t + (8 / 9) * hs, ys, p, k5);
    for (let i = 0; i < n; i++) {
      ys[i] =
        y[i] +
        hs *
          ((9017 / 3168) * k1[i] -
            (355 / 33) * k2[i] +
            (46732 / 5247) * k3[i] +
            (49 / 176) * k4[i] -
            (5103 / 18656) * k5[i]);
    }
    f.f(t + hs, ys, p, k6);
    for (let i = 0; i < n; i++) {
      yNew[i] =
        y[i] +
        hs *
          ((35 / 384) * k1[i] +
            (500 / 1113) * k3[i] +
            (125 / 192) * k4[i] -
            (2187 / 6784) * k5[i] +
            (11 / 84) * k6[i]);
    }
    f.f(t + hs, yNew, p, k7);
    fEvals += 6;

    let sum = 0;
    for (let i = 0; i < n; i++) {
      const e =
        hs *
        ((35 / 384 - 5179 / 57600) * k1[i] +
          (500 / 1113 - 7571 / 16695) * k3[i] +
          (125 / 192 - 393 / 640) * k4[i] +
          (-2187 / 6784 + 92097 / 339200) * k5[i] +
          (11 / 84 - 187 / 2100) * k6[i] -
          (1 / 40) * k7[i]);
      const ay = Math.abs(y[i]);
      const an = Math.abs(yNew[i]);
      const r = e / (atol + rtol * (ay > an ? ay : an));
      sum += r * r;
    }
    const err = Math.sqrt(sum / n);
    let factor = err === 0 ? 10 : 0.9 * Math.pow(err, -0.2);
    if (err <= 1) {
      accepted++;
      t = landing ? t1 : t + hs;
      y.set(yNew);
      const k = k1;
      k1 = k7;
      k7 = k;
      factor = factor < 0.2 ? 0.2 : factor > 10 ? 10 : factor;
    } else {
      rejected++;
      factor = factor < 0.2 ? 0.2 : factor > 1 ? 1 : factor;
    }
    h = Math.abs(hs) * factor;
  }
  return { y, fEvals, accepted, rejected };
}

// ---------------------------------------------------------------------------------------------
// Formatting

function fmtE(x: number): string {
  return x.toExponential(2);
}

function fmtF(x: number): string {
  return x < 100 ? x.toFixed(1) : x.toFixed(0);
}

function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}
