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
import { printTable, relErr, timeSideBySide } from '../lib/measure.ts';

const P = JSON.parse(readFileSync(new URL('../../data/problems/three_body_figure_eight.json', import.meta.url), 'utf8'));
const field = nbodyField({ bodies: 3 });
const masses: number[] = P.benchmark_masses_perturbed;
const times: number[] = P.observation_times;
// The benchmark loss: the sum over the observation times of the squared positions.
const loss = buildLoss({ kind: 'sum_squares', components: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, { dim: 18, nTimes: times.length });

const ref = gradient(field, P.y0, { times, t0: 0, params: masses, loss, method: 'dopri8', rtol: 1e-12, atol: 1e-12 });
const refVec = [...ref.dp, ...ref.dy0];
console.log('Figure-eight three-body, masses (1.0, 0.9, 1.1), dopri5; reference: ACA with dopri8 at 1e-12');
console.log('gradient error = |(dL/dm, dL/dy0) - reference| / |reference|; times are medians of 9 interleaved rounds;');
console.log('ratio = median over rounds of gradient time / forward time in the same round\n');
const header = ['tol', 'method', 'fwd us', 'grad us', 'ratio', 'bytes held', 'steps (acc/rej)', 'f evals', 'vjp evals', 'grad error'];
const rows: string[][] = [];
const methods: GradientMethodName[] = ['aca', 'adjoint', 'naive'];
let worstAcaRatio = 0;
for (const tol of [1e-4, 1e-6, 1e-8, 1e-10]) {
  // The TypeScript loop for every method (the WebAssembly back end is bench 19's subject).
  const opts = { times, t0: 0, params: masses, rtol: tol, atol: tol, backend: 'js' as const };
  // The forward solve and the three gradients in interleaved rounds; ratios are medians of the
  // per-round ratios to the forward solve. Plain ACA (toleranceFactor 1): its time against the
  // forward solve at the same tolerance; the default's accuracy and cost are
  // 13-gradient-accuracy.ts's subject.
  const settingsOf = (gm: GradientMethodName): GradientSettings => (gm === 'aca' ? { method: 'aca', toleranceFactor: 1 } : { method: gm });
  const { medians, ratios } = timeSideBySide([
    () => solve(field, P.y0, opts),
    ...methods.map((gm) => () => gradient(field, P.y0, { ...opts, loss, gradient: settingsOf(gm) })),
  ]);
  const fwd = medians[0];
  methods.forEach((gm, m) => {
    const r = gradient(field, P.y0, { ...opts, loss, gradient: settingsOf(gm) });
    const t = medians[m + 1];
    const ratio = ratios[m + 1];
    if (gm === 'aca') worstAcaRatio = Math.max(worstAcaRatio, ratio);
    rows.push([
      tol.toExponential(0),
      gm,
      fwd.toFixed(0),
      t.toFixed(0),
      ratio.toFixed(2) + 'x',
      String(r.stats.peakBytes),
      `${r.stats.accepted}/${r.stats.rejected}`,
      String(r.stats.fEvals),
      String(r.stats.vjpEvals),
      relErr([...r.dp, ...r.dy0], refVec).toExponential(2),
    ]);
  });
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
