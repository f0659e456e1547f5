/**
 * The continuous adjoint with and without resetting its backward y to the forward outputs at
 * each output time (AdjointSettings.resetStateAtOutputs), against a tight ACA reference (dopri8,
 * 1e-13). Numbers quoted in docs/design.md ("adjoint: no reset of y").
 *   node --import tsx scripts/measure/adjoint-reset.ts
 */
import { gradient, lotkaVolterraField, nbodyField } from '../../src/index.ts';
import { buildLoss } from '../../src/losses/registry.ts';
import { readFileSync } from 'node:fs';
import { relErr } from '../lib/measure.ts';

const problems = [
  (() => {
    const P = JSON.parse(readFileSync(new URL('../../data/problems/lotka_volterra.json', import.meta.url), 'utf8'));
    const times = Array.from({ length: 10 }, (_, k) => (k + 1) * 1);
    return { name: 'Lotka-Volterra', field: lotkaVolterraField(), y0: P.y0 as number[], params: Object.values(P.params) as number[], times, dim: 2 };
  })(),
  (() => {
    const P = JSON.parse(readFileSync(new URL('../../data/problems/three_body_figure_eight.json', import.meta.url), 'utf8'));
    return { name: 'figure-eight (perturbed)', field: nbodyField({ bodies: 3 }), y0: P.y0 as number[], params: P.benchmark_masses_perturbed as number[], times: P.observation_times as number[], dim: 18 };
  })(),
];

console.log('problem                    tol    adjoint err (no reset)   adjoint err (reset)');
for (const p of problems) {
  const loss = buildLoss({ kind: 'sum_squares', components: Array.from({ length: p.dim }, (_, i) => i) }, { dim: p.dim, nTimes: p.times.length });
  const base = { times: p.times, t0: 0, params: p.params, loss };
  const ref = gradient(p.field, p.y0, { ...base, method: 'dopri8', rtol: 1e-13, atol: 1e-13 });
  const refVec = [...ref.dp, ...ref.dy0];
  for (const tol of [1e-6, 1e-8]) {
    const err = (reset: boolean) => {
      const r = gradient(p.field, p.y0, { ...base, rtol: tol, atol: tol, gradient: { method: 'adjoint', resetStateAtOutputs: reset } });
      return relErr([...r.dp, ...r.dy0], refVec);
    };
    console.log(`${p.name.padEnd(25)} ${tol.toExponential(0).padStart(5)}   ${err(false).toExponential(2).padStart(21)}   ${err(true).toExponential(2).padStart(19)}`);
  }
}
