/**
 * Observed positions of the bodies: times, and K x 3N positions (x1 y1 z1 x2 ...), NaN where a
 * body or a coordinate was not observed at that time.
 */
import { solve } from '../solvers/solve.ts';
import { createRng } from '../util/random.ts';
import { systemField, type GravitySystem } from './system.ts';

export interface Observations {
  readonly times: Float64Array;
  /** K rows of 3N position coordinates; NaN = not observed. */
  readonly positions: Float64Array;
}

export interface SynthesisOptions {
  /** Standard deviation of Gaussian noise added to each coordinate (default 0). */
  readonly noise?: number;
  readonly seed?: number;
}

/**
 * Positions from a tight-tolerance solve (DOP853 at rtol = atol = 1e-12, steps landed on the
 * times): the ground truth of the paper's experiment, or synthetic observations for tests.
 */
export function synthesize(
  system: GravitySystem,
  y0: ArrayLike<number>,
  masses: ArrayLike<number>,
  times: Float64Array,
  options: SynthesisOptions = {},
): Observations {
  const field = systemField(system);
  const sol = solve(field, y0, { times, t0: 0, params: masses, method: 'dopri8', rtol: 1e-12, atol: 1e-12, maxSteps: 1e7 });
  const n = 3 * system.bodies;
  const positions = new Float64Array(times.length * n);
  const rng = options.noise ? createRng(options.seed ?? 1) : null;
  for (let k = 0; k < times.length; k++) {
    for (let i = 0; i < n; i++) {
      const v = sol.y[k * field.dim + i];
      positions[k * n + i] = rng ? v + options.noise! * rng.normal() : v;
    }
  }
  return { times, positions };
}
