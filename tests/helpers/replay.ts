/**
 * Replays a solve on a given sequence of steps (t_i, h_i): the discrete forward map that ACA
 * differentiates exactly. Used to take finite differences with the step sequence held fixed.
 * Implicit methods solve their stages by Newton to round-off (a fresh Jacobian and kappa 1e-14 at
 * every step), so the replayed map is the one with exactly solved stage equations.
 */
import { fieldDerivatives } from '../../src/fields/derivatives.ts';
import type { Field } from '../../src/fields/field.ts';
import { ImplicitStages } from '../../src/solvers/implicit.ts';
import { denseWeights, getMethod } from '../../src/solvers/methods.ts';
import { allocateStages, combine, computeStages } from '../../src/solvers/stepper.ts';

export function replay(
  field: Field,
  methodName: string,
  y0: ArrayLike<number>,
  params: ArrayLike<number>,
  steps: { t: Float64Array; h: Float64Array },
  times: ArrayLike<number>,
): Float64Array {
  const method = getMethod(methodName);
  const d = field.dim;
  const p = Float64Array.from(params);
  const K = allocateStages(method.denseStages, d);
  const work = new Float64Array(d);
  const w = new Float64Array(method.denseStages);
  let y = Float64Array.from(y0);
  let yNew = new Float64Array(d);
  const out = new Float64Array(times.length * d);
  const counters = { fEvals: 0, newtonIterations: 0, jacobianEvals: 0, luFactorizations: 0 };
  const tol = new Float64Array(d).fill(1e-10);
  const implicit = method.implicit ? new ImplicitStages(field, method, fieldDerivatives(field), tol, tol, 1e-14, counters, 100) : null;
  let k = 0;
  const t0 = steps.t.length ? steps.t[0] : times[0];
  while (k < times.length && times[k] === t0) out.set(y, d * k++);
  for (let i = 0; i < steps.t.length; i++) {
    const t = steps.t[i];
    const h = steps.h[i];
    const tEnd = i + 1 < steps.t.length ? steps.t[i + 1] : t + h;
    if (implicit) {
      field.f(t, y, p, K[0]);
      implicit.reset();
      if (!implicit.step(t, y, h, p, K, null)) throw new Error(`replay: Newton failed at t = ${t}`);
      computeStages(method, field, t, y, h, p, K, work, method.stages, method.denseStages);
    } else {
      computeStages(method, field, t, y, h, p, K, work, 0, method.denseStages);
    }
    combine(method.b, method.stages, y, h, K, yNew);
    while (k < times.length && Math.sign(h) * (times[k] - tEnd) <= 0) {
      if (times[k] === tEnd) out.set(yNew, d * k);
      else {
        denseWeights(method, (times[k] - t) / h, w);
        const row = new Float64Array(d);
        combine(w, method.denseStages, y, h, K, row);
        out.set(row, d * k);
      }
      k++;
    }
    [y, yNew] = [yNew, y];
  }
  return out;
}
