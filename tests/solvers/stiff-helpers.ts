/**
 * A fixed-step driver for the implicit methods (convergence orders): the library's own stage solve
 * (solvers/implicit.ts) with Newton converged to round-off and no error control, so the measured
 * error is the method's alone.
 */
import { fieldDerivatives } from '../../src/fields/derivatives.ts';
import type { Field } from '../../src/fields/field.ts';
import { ImplicitStages } from '../../src/solvers/implicit.ts';
import { getMethod } from '../../src/solvers/methods.ts';
import { allocateStages, combine } from '../../src/solvers/stepper.ts';

export function fixedStepImplicit(field: Field, methodName: string, y0: ArrayLike<number>, p: ArrayLike<number>, t0: number, t1: number, n: number): Float64Array {
  const method = getMethod(methodName);
  const d = field.dim;
  const params = Float64Array.from(p);
  const K = allocateStages(method.denseStages, d);
  const tol = new Float64Array(d).fill(1e-12);
  const counters = { fEvals: 0, newtonIterations: 0, jacobianEvals: 0, luFactorizations: 0 };
  const stages = new ImplicitStages(field, method, fieldDerivatives(field), tol, tol, 1e-14, counters, 100);
  let y = Float64Array.from(y0);
  let yNew = new Float64Array(d);
  const h = (t1 - t0) / n;
  for (let i = 0; i < n; i++) {
    const t = t0 + i * h;
    field.f(t, y, params, K[0]);
    stages.reset();
    if (!stages.step(t, y, h, params, K, null)) throw new Error(`Newton failed at t = ${t}`);
    combine(method.b, method.stages, y, h, K, yNew);
    [y, yNew] = [yNew, y];
  }
  return y;
}

/** Observed orders log2(e_n / e_2n) along a sequence of errors at n, 2n, 4n, ... steps. */
export function observedOrders(errors: readonly number[]): number[] {
  return errors.slice(1).map((e, k) => Math.log2(errors[k] / e));
}
