/**
 * Fit benchmark (issue 14): iterations, loss evaluations, wall time and whether the fit
 * converged, for Levenberg-Marquardt against L-BFGS and Adam (both in Jacobian-scaled
 * coordinates, their defaults) on three problems, side by side in one run:
 *
 * 1. Lotka-Volterra on data/lotka_volterra.yaml (4 rates, 200 residuals).
 * 2. The same, badly scaled: the rate a enters as 1000 a (a = 0.0015), as masses of 1e-3 do.
 * 3. Jupiter and Saturn in the Sun's frame (heliocentric equation model, three-body/heliocentric.ts)
 *    from data/planets-1.csv every 50 days over 30 years (AU, days): 2 masses and 12 initial
 *    values, started 5% off (masses) and 1e-3 AU off (positions).
 *
 * Wall times: problems 1 and 2 the median of 3 rounds, the methods interleaved within a round;
 * problem 3 one round (Adam alone takes minutes). Adam's iteration limit is 2000 (1 and 2), 300 (3).
 *
 *   npm run bench -- 14-fit
 */
import { readFileSync } from 'node:fs';
import { fit } from '../../src/fit/fit.ts';
import type { DataTable } from '../../src/io/csv.ts';
import { parseCsv } from '../../src/io/csv.ts';
import { loadProblem } from '../../src/spec/load.ts';
import { buildProblem, type Problem } from '../../src/spec/problem.ts';
import type { Spec } from '../../src/spec/schema.ts';
import { heliocentricModel } from '../../src/three-body/heliocentric.ts';
import { UNIT_SYSTEMS } from '../../src/three-body/system.ts';

type Method = 'lm' | 'lbfgs' | 'adam';
const METHODS: Method[] = ['lm', 'lbfgs', 'adam'];

const lv = await loadProblem(new URL('../../data/lotka_volterra.yaml', import.meta.url).pathname);
const lvProblem = (method: Method, change: Partial<Spec> = {}) =>
  buildProblem({ ...lv.spec, ...change, optimizer: { method, iterations: method === 'adam' ? 2000 : 200 } } as Spec, lv.data);
const badly = {
  model: { ...lv.spec.model, equations: { x: '1000*a*x - b*x*y', y: '-c*y + d*x*y' } },
  params: { ...(lv.spec.params as object), a: { value: 0.0012, bounds: [0.00001, 0.01] } },
} as Partial<Spec>;

function planetsProblem(method: Method): Problem {
  const system = { bodies: 3, G: UNIT_SYSTEMS['au-day-msun'].G, velocityScale: 1 };
  const model = heliocentricModel(system, 0);
  const start = JSON.parse(readFileSync(new URL('../../data/planets-start.json', import.meta.url), 'utf8'));
  const full = parseCsv(readFileSync(new URL('../../data/planets-1.csv', import.meta.url), 'utf8'), { name: 'planets-1.csv' });
  // The planets' columns (states x2 .. z3), every fifth row (50 days).
  const keep = ['x2', 'y2', 'z2', 'x3', 'y3', 'z3'];
  const rows = Array.from({ length: full.times.length }, (_, k) => k).filter((k) => k % 5 === 0);
  const data: DataTable = {
    ...full,
    times: Float64Array.from(rows, (k) => full.times[k]),
    columns: keep,
    values: Float64Array.from(rows.flatMap((k) => keep.map((c) => full.values[k * full.columns.length + full.columns.indexOf(c)]))),
    lines: rows.map((k) => full.lines[k]),
  };
  const y0: number[] = start.y0[0];
  const heliocentric = [...y0.slice(3, 9), ...y0.slice(12, 18)];
  const spec = {
    name: 'planets',
    model: { states: model.states, params: model.params, constants: model.constants, definitions: model.definitions, equations: model.equations },
    initial: Object.fromEntries(model.states.map((s, i) => [s, { value: heliocentric[i] }])),
    params: { m1: 1, m2: { value: start.masses[1], bounds: [0, 1] }, m3: { value: start.masses[2], bounds: [0, 1] } },
    t0: 0,
    solver: { method: 'dopri5', rtol: 1e-10, atol: 1e-12, maxSteps: 1000000 },
    optimizer: { method, iterations: method === 'adam' ? 300 : 200 },
  } as unknown as Spec;
  return buildProblem(spec, data);
}

interface Row {
  iterations: number;
  evaluations: number;
  ms: number[];
  converged: boolean;
  reason: string;
  loss: number;
  error: string;
}

async function measure(problem: Problem, describe: (values: number[]) => string): Promise<Omit<Row, 'ms'> & { ms: number }> {
  const t0 = performance.now();
  const r = await fit(problem);
  const ms = performance.now() - t0;
  return { iterations: r.iterations, evaluations: r.counters.evaluations, ms, converged: r.converged, reason: r.reason, loss: r.loss, error: describe(r.fitted.map((v) => v.value)) };
}

const problems: { name: string; build: (m: Method) => Problem; rounds: number; describe: (v: number[]) => string }[] = [
  { name: 'Lotka-Volterra', build: (m) => lvProblem(m), rounds: 3, describe: (v) => `a ${v[0].toPrecision(6)}` },
  { name: 'LV, a badly scaled (1000 a)', build: (m) => lvProblem(m, badly), rounds: 3, describe: (v) => `a ${v[0].toPrecision(6)}` },
  {
    name: 'Jupiter, Saturn (AU, days)',
    build: planetsProblem,
    rounds: 1,
    describe: (v) => {
      const n = v.length;
      return `mJ ${((v[n - 2] / 9.547919e-4 - 1) * 100).toFixed(3)}%, mS ${((v[n - 1] / 2.85886e-4 - 1) * 100).toFixed(3)}%`;
    },
  },
];

console.log('Fits: LM (default) against L-BFGS and Adam (Jacobian-scaled coordinates), one run, methods interleaved');
console.log('iterations / loss evaluations (LM: residual+Jacobian evaluations) / median wall ms / converged (reason) / result\n');
const header = ['problem', 'method', 'iter', 'evals', 'wall ms', 'vs LM', 'converged', 'loss', 'result'];
const table: string[][] = [];
for (const p of problems) {
  const rows = new Map<Method, Row>();
  for (let round = 0; round < p.rounds; round++) {
    for (const method of METHODS) {
      const m = await measure(p.build(method), p.describe);
      const row = rows.get(method);
      if (row) row.ms.push(m.ms);
      else rows.set(method, { ...m, ms: [m.ms] });
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const lmMs = median(rows.get('lm')!.ms);
  for (const method of METHODS) {
    const r = rows.get(method)!;
    const ms = median(r.ms);
    table.push([p.name, method, String(r.iterations), String(r.evaluations), ms.toFixed(0), `${(ms / lmMs).toFixed(1)}x`, `${r.converged ? 'yes' : 'NO'} (${r.reason})`, r.loss.toExponential(4), r.error]);
  }
}
const widths = header.map((h, j) => Math.max(h.length, ...table.map((r) => r[j].length)));
const line = (cells: string[]) => cells.map((c, j) => c.padEnd(widths[j])).join('  ');
console.log(line(header));
for (const r of table) console.log(line(r));
