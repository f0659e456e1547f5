/**
 * How well fitted masses predict: positions on the test times against the truth, as the paper's
 * test loss (mean of 0.1^t times the squared position distance summed over bodies) and the
 * unweighted mean.
 */
import { solve } from '../solvers/solve.ts';
import type { Observations } from './observations.ts';
import { systemField, type GravitySystem } from './system.ts';

export interface ExtrapolationError {
  /** Mean over the times of base^t * squared position distance summed over bodies. */
  readonly weighted: number;
  readonly unweighted: number;
  /** Largest distance between a predicted and a true body position. */
  readonly maxDistance: number;
  /** The predicted positions (K x 3N). */
  readonly predicted: Float64Array;
}

export function extrapolationError(
  system: GravitySystem,
  y0: ArrayLike<number>,
  masses: ArrayLike<number>,
  truth: Observations,
  weightBase: number,
  solver: { method?: string; rtol: number; atol: number },
): ExtrapolationError {
  const field = systemField(system);
  const sol = solve(field, y0, { times: truth.times, t0: 0, params: masses, method: solver.method ?? 'dopri5', rtol: solver.rtol, atol: solver.atol, maxSteps: 1e7 });
  const n = 3 * system.bodies;
  const K = truth.times.length;
  const predicted = new Float64Array(K * n);
  let weighted = 0;
  let unweighted = 0;
  let maxDistance = 0;
  for (let k = 0; k < K; k++) {
    let sq = 0;
    for (let b = 0; b < system.bodies; b++) {
      let body = 0;
      for (let c = 0; c < 3; c++) {
        const i = 3 * b + c;
        const p = sol.y[k * field.dim + i];
        predicted[k * n + i] = p;
        const r = p - truth.positions[k * n + i];
        body += r * r;
      }
      sq += body;
      maxDistance = Math.max(maxDistance, Math.sqrt(body));
    }
    weighted += Math.pow(weightBase, truth.times[k]) * sq;
    unweighted += sq;
  }
  return { weighted: weighted / K, unweighted: unweighted / K, maxDistance, predicted };
}
