/**
 * Gradient benchmark (issue: ACA gradients with the continuous adjoint and naive baselines).
 *
 * 1. Figure-eight three-body, masses (1.0, 0.9, 1.1), the benchmark loss of
 *    three_body_figure_eight.json (sum of squared positions at the observation times), dopri5:
 *    for each method at rtol = atol = 1e-4 .. 1e-10, gradient time / forward time (measured side
 *    by side here), bytes held by the method, and the relative gradient error against ACA with
 *    dopri8 at 1e-12.
 * 2. The damped rotation (closed form): T against ACA's and the adjoint's gradient error.
 * Goals printed: ACA gradient time <= 3x forward; ACA error >= 10x below the adjoint's at
 * k T >= 10 with rtol <= 1e-6.
 */
import { readFileSync } from 'node:fs';
import { dampedRotationField, gradient, nbodyField, solve, type GradientMethodName, type GradientSettings, type Loss } from '../../src/index.ts';
import { buildLoss } from '../../src/losses/registry.ts';

const P = JSON.parse(readFileSync(new URL('../../data/problems/three_body_figure_eight.json', import.meta.url), 'utf8'));
const field = nbodyField({ bodies: 3 });
const masses: number[] = P.benchmark_masses_perturbed;
const times: number[] = P.observation_times;
// The benchmark loss: the sum over the observation times of the squared positions.
const loss = buildLoss({ kind: 'sum_squares', components: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, { dim: 18, nTimes: times.length });

/** Median time per call in microseconds over several rounds of calls lasting >= 40 ms each. */
function timeIt(fn: () => void): number {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 60) {
    fn();
    n++;
  }
  const reps = Math.max(1, Math.ceil(n * (40 / 60)));
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    rounds.push(((performance.now() - t0) * 1000) / reps);
  }
  rounds.sort((a, b) => a - b);
  return rounds[3];
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const ref = gradient(field, P.y0, { times, t0: 0, params: masses, loss, method: 'dopri8', rtol: 1e-12, atol: 1e-12 });
const refVec = [...ref.dp, ...ref.dy0];
console.log('Figure-eight three-body, masses (1.0, 0.9, 1.1), dopri5; reference: ACA with dopri8 at 1e-12');
console.log('gradient error = |(dL/dm, dL/dy0) - reference| / |reference|; time ratio = gradient time / forward time (same run)\n');
const header = ['tol', 'method', 'fwd us', 'grad us', 'ratio', 'bytes held', 'steps (acc/rej)', 'f evals', 'vjp evals', 'grad error'];
const rows: string[][] = [];
const methods: GradientMethodName[] = ['aca', 'adjoint', 'naive'];
let worstAcaRatio = 0;
for (const tol of [1e-4, 1e-6, 1e-8, 1e-10]) {
  const opts = { times, t0: 0, params: masses, rtol: tol, atol: tol };
  const fwd = timeIt(() => solve(field, P.y0, opts));
  for (const gm of methods) {
    // Plain ACA (toleranceFactor 1): its time against the forward solve at the same tolerance;
    // the default's accuracy and cost are 13-gradient-accuracy.ts's subject.
    const settings: GradientSettings = gm === 'aca' ? { method: 'aca', toleranceFactor: 1 } : { method: gm };
    const r = gradient(field, P.y0, { ...opts, loss, gradient: settings });
    const t = timeIt(() => gradient(field, P.y0, { ...opts, loss, gradient: settings }));
    if (gm === 'aca') worstAcaRatio = Math.max(worstAcaRatio, t / fwd);
    rows.push([
      tol.toExponential(0),
      gm,
      fwd.toFixed(0),
      t.toFixed(0),
      (t / fwd).toFixed(2) + 'x',
      String(r.stats.peakBytes),
      `${r.stats.accepted}/${r.stats.rejected}`,
      String(r.stats.fEvals),
      String(r.stats.vjpEvals),
      relErr([...r.dp, ...r.dy0], refVec).toExponential(2),
    ]);
  }
}
printTable(header, rows);
console.log(`\nGoal: ACA gradient time <= 3x forward time. Worst ratio above: ${worstAcaRatio.toFixed(2)}x -> ${worstAcaRatio <= 3 ? 'met' : 'NOT met'}`);

// Damped rotation.
const D = JSON.parse(readFileSync(new URL('../../data/problems/linear_damped_rotation.json', import.meta.url), 'utf8'));
const { k, w } = D.params;
const rot = dampedRotationField();
const first: Loss = (y, _t, g) => {
  g.fill(0);
  g[0] = 1;
  return y[0];
};
console.log('\nDamped rotation dy/dt = [[-k,-w],[w,-k]] y, k = 0.5, w = 2, L = y1(T), dopri5; errors against the closed form');
const drRows: string[][] = [];
let goalMet = true;
for (const [rtol, atol] of [
  [1e-6, 1e-12],
  [1e-8, 1e-12],
]) {
  for (const T of D.T_values as number[]) {
    const decay = Math.exp(-k * T);
    const L = decay * Math.cos(w * T);
    const exact = [-T * L, decay * T * -Math.sin(w * T)];
    const o = { times: [T], t0: 0, params: [k, w], loss: first, rtol, atol };
    const aca = gradient(rot, D.y0, o);
    // maxDrift Infinity: the adjoint's error is what is measured here, not refused.
    const adj = gradient(rot, D.y0, { ...o, gradient: { method: 'adjoint', maxDrift: Infinity } });
    const ea = relErr(aca.dp, exact);
    const ej = relErr(adj.dp, exact);
    if (k * T >= 10 && !(ea * 10 <= ej)) goalMet = false;
    drRows.push([
      rtol.toExponential(0),
      atol.toExponential(0),
      String(T),
      String(k * T),
      // The forward error of a solve at the tolerance (ACA's own solve runs at 0.05 x it).
      (Math.abs(solve(rot, D.y0, o).y[0] - L) / Math.abs(L)).toExponential(2),
      ea.toExponential(2),
      ej.toExponential(2),
      (ej / ea).toFixed(1) + 'x',
    ]);
  }
}
printTable(['rtol', 'atol', 'T', 'kT', 'forward err', 'ACA err', 'adjoint err', 'adjoint/ACA'], drRows);
console.log(`\nGoal: ACA error >= 10x below the adjoint's at kT >= 10 with rtol <= 1e-6 -> ${goalMet ? 'met' : 'NOT met'}`);

function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padStart(widths[c])).join('  ');
  console.log(line(head));
  console.log(widths.map((n) => '-'.repeat(n)).join('  '));
  for (const r of body) console.log(line(r));
}
