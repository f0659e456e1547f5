/** Batch jobs for the parallel tests: figure-eight three-body trajectories with perturbed starts. */
import type { BatchJob } from '../../../src/parallel/batch.ts';
import { createRng } from '../../../src/util/random.ts';
import { loadProblem, type FigureEight } from '../../helpers/problems.ts';

export const FIGURE_EIGHT = loadProblem<FigureEight & { G: number }>('three_body_figure_eight');

/** The 9 position components: the figure-eight benchmark loss is their sum of squares. */
export const POSITIONS = [0, 1, 2, 3, 4, 5, 6, 7, 8];

/**
 * n trajectories of the figure-eight orbit, each initial state perturbed by N(0, scale^2) per
 * component (seeded), over [0, tEnd] with `outputs` evenly spaced output times, dopri5 rtol 1e-6.
 */
export function figureEightJob(n: number, options: { seed?: number; tEnd?: number; outputs?: number; scale?: number } = {}): BatchJob {
  const rng = createRng(options.seed ?? 1);
  const tEnd = options.tEnd ?? 1;
  const K = options.outputs ?? 4;
  const scale = options.scale ?? 1e-3;
  return {
    field: { kind: 'nbody', bodies: 3, dims: 3, G: FIGURE_EIGHT.G },
    solver: { times: Array.from({ length: K }, (_, k) => (tEnd * (k + 1)) / K), t0: 0, method: 'dopri5', rtol: 1e-6, atol: 1e-6 },
    params: FIGURE_EIGHT.masses,
    loss: { kind: 'sum_squares', components: POSITIONS },
    trajectories: Array.from({ length: n }, () => ({ y0: FIGURE_EIGHT.y0.map((v) => v + rng.normal(0, scale)) })),
  };
}
