/**
 * Gradient work-precision (issue 13): gradient error against gradient time for plain ACA
 * (toleranceFactor 1, the published method), ACA with its default (forward pass at 0.05 x the
 * tolerance), naive back-propagation and the continuous adjoint, dopri5 at rtol = atol =
 * 1e-4 .. 1e-10, on the perturbed figure-eight, Kepler e = 0.9 (3 periods), Lotka-Volterra and the
 * Brusselator (scripts/reference/gradient-problems.ts).
 *
 * Error: |(dL/dy0, dL/dp) - reference| / |reference|, the reference from the variational
 * equations with dopri8 at 1e-13 (data/reference/gradient-accuracy.json, cross-checked with
 * scipy). Time: CPU microseconds per gradient (process.cpuUsage, so that other processes on a
 * shared machine do not count), the four methods measured side by side in interleaved rounds,
 * the median of 7. Prints one table per problem, then for a few error levels
 * the fastest method reaching it, and writes out/13-gradient-accuracy.svg (log-log panels).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AcaError } from '../../src/errors.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import type { GradientSettings } from '../../src/gradients/settings.ts';
import { panelGrid, type PlotOptions } from '../../src/plot/svg.ts';
import { solve } from '../../src/solvers/solve.ts';
import { ACCURACY_PROBLEMS } from '../reference/gradient-problems.ts';
import { relativeError } from '../reference/variational.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REFS = JSON.parse(readFileSync(join(root, 'data/reference/gradient-accuracy.json'), 'utf8')) as {
  problems: Record<string, { dy0: number[]; dp: number[]; outputs: number[] }>;
};

const METHODS: readonly (readonly [string, GradientSettings])[] = [
  ['aca (plain)', { method: 'aca', toleranceFactor: 1 }],
  ['aca (default)', { method: 'aca' }],
  ['naive', { method: 'naive' }],
  ['adjoint', { method: 'adjoint' }],
];
const TOLERANCES = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10];
const PROBLEMS = ['figureEight', 'kepler09', 'lotkaVolterra', 'brusselator'];
const LEVELS = [1e-2, 1e-4, 1e-6, 1e-8];

interface Point {
  tol: number;
  method: string;
  us: number;
  error: number;
  forward: number;
  failure?: string;
}

/** CPU time of this process in microseconds (user + system). */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Calls per timed batch so that one batch takes about 25 ms of CPU. */
function calibrate(fn: () => void): number {
  const t0 = cpuMicros();
  let n = 0;
  while (cpuMicros() - t0 < 25_000) {
    fn();
    n++;
  }
  return n;
}

const panels: PlotOptions[] = [];
const summary: string[][] = [];
for (const key of PROBLEMS) {
  const problem = ACCURACY_PROBLEMS[key]();
  const ref = REFS.problems[key];
  const points: Point[] = [];
  for (const tol of TOLERANCES) {
    const base = { times: problem.times, t0: problem.t0, params: problem.params, rtol: tol, atol: tol };
    const forward = relativeError([[solve(problem.field, problem.y0, base).y, ref.outputs]]);
    const runs = METHODS.map(([name, settings]) => {
      const call = () => gradient(problem.field, problem.y0, { ...base, loss: problem.loss, gradient: settings });
      try {
        const r = call();
        return { name, call, error: relativeError([[r.dy0, ref.dy0], [r.dp, ref.dp]]), reps: calibrate(call), times: [] as number[] };
      } catch (e) {
        if (!(e instanceof AcaError)) throw e;
        return { name, call, error: NaN, reps: 0, times: [] as number[], failure: e.code };
      }
    });
    // Interleaved rounds: every method once per round, so drifts in machine load hit all alike.
    for (let round = 0; round < 7; round++) {
      for (const run of runs) {
        if (run.reps === 0) continue;
        const t0 = cpuMicros();
        for (let i = 0; i < run.reps; i++) run.call();
        run.times.push((cpuMicros() - t0) / run.reps);
      }
    }
    for (const run of runs) {
      const us = run.reps ? run.times.sort((a, b) => a - b)[3] : NaN;
      points.push({ tol, method: run.name, us, error: run.error, forward, failure: run.failure });
    }
  }

  console.log(`\n${problem.name}: gradient error and time, dopri5, rtol = atol = tol`);
  const rows = points.map((p) => [
    p.tol.toExponential(0),
    p.method,
    p.forward.toExponential(2),
    p.failure ? `refused (${p.failure})` : p.error.toExponential(2),
    p.failure ? '' : (p.error / p.forward).toFixed(1) + 'x',
    p.failure ? '' : p.us.toFixed(0),
  ]);
  printTable(['tol', 'method', 'forward err', 'grad err', 'grad/fwd', 'grad us'], rows);

  // At equal gradient error: the cheapest run of each method that reaches the level.
  for (const level of LEVELS) {
    const best = METHODS.map(([name]) => {
      const ok = points.filter((p) => p.method === name && !p.failure && p.error <= level);
      return { name, us: ok.length ? Math.min(...ok.map((p) => p.us)) : Infinity };
    }).sort((a, b) => a.us - b.us);
    const cells = best.map((b) => (Number.isFinite(b.us) ? `${b.name} ${b.us.toFixed(0)}` : `${b.name} -`));
    const winner = Number.isFinite(best[0].us) ? best[0].name : '(none)';
    summary.push([problem.name, level.toExponential(0), winner, cells.join(', ')]);
  }

  panels.push({
    title: problem.name,
    xLabel: 'gradient error (relative)',
    yLabel: 'time per gradient (us)',
    xScale: 'log',
    yScale: 'log',
    series: METHODS.map(([name]) => {
      const ps = points.filter((p) => p.method === name && !p.failure);
      return { name, x: ps.map((p) => p.error), y: ps.map((p) => p.us), style: 'line+points' as const };
    }),
  });
}

console.log('\nAt equal gradient error: the fastest method (microseconds of its cheapest run reaching the level; - = none did)');
printTable(['problem', 'error <=', 'fastest', 'all'], summary);

const file = join(root, 'out', '13-gradient-accuracy.svg');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, panelGrid({ panels, columns: 2, title: 'Gradient work-precision (dopri5): error vs time' }));
console.log(`\nwrote ${file}`);

function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padStart(widths[c])).join('  ');
  console.log(line(head));
  console.log(widths.map((n) => '-'.repeat(n)).join('  '));
  for (const r of body) console.log(line(r));
}
