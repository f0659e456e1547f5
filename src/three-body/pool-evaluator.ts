/**
 * Observation windows (or systems sharing masses) evaluated on the worker pool: each window is a
 * trajectory of a batch job (src/parallel), one shard per window, so the windows spread over the
 * workers and the result does not depend on their number. Windows with the same times and t0
 * share one job.
 */
import { batchGradient } from '../parallel/batch.ts';
import type { GradientSettings } from '../gradients/settings.ts';
import type { Window, WindowEvaluator, WindowGradient } from './estimate.ts';
import type { GravitySystem } from './system.ts';

export interface PoolEvaluatorOptions {
  readonly workers: number;
  readonly gradient?: GradientSettings;
  readonly method?: string;
  readonly rtol?: number;
  readonly atol?: number;
  readonly timeWeightBase?: number;
}

export function poolEvaluator(system: GravitySystem, windows: readonly Window[], options: PoolEvaluatorOptions): WindowEvaluator {
  const n = 3 * system.bodies;
  const groups = new Map<string, number[]>();
  windows.forEach((w, i) => {
    const key = `${w.t0 ?? 0}|${Array.from(w.observations.times).join(',')}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const field = { kind: 'nbody', bodies: system.bodies, dims: 3, G: system.G, velocityScale: system.velocityScale };
  return async (masses, y0s) => {
    const results: WindowGradient[] = new Array(windows.length);
    await Promise.all(
      [...groups.values()].map(async (members) => {
        const first = windows[members[0]];
        const t0 = first.t0 ?? 0;
        const times = Array.from(first.observations.times);
        const base = options.timeWeightBase ?? 1;
        const job = {
          field,
          solver: { times, t0, method: options.method ?? 'dopri5', rtol: options.rtol ?? 1e-7, atol: options.atol ?? 1e-7, maxSteps: 1_000_000 },
          params: Array.from(masses),
          gradient: options.gradient,
          loss: {
            kind: 'squared_error',
            observed: Array.from({ length: n }, (_, i) => i),
            timeWeights: times.map((t) => Math.pow(base, t - t0)),
            reduction: 'mean_time',
          },
          trajectories: members.map((w) => ({
            y0: Array.from(y0s[w]),
            target: Array.from(windows[w].observations.positions, (v) => (Number.isNaN(v) ? null : v)),
          })),
        };
        // The masses' gradient comes summed over the group: it goes with the group's first
        // window (estimate() sums over windows anyway); each window keeps its own dL/dy0.
        const r = await batchGradient(job, { workers: options.workers, shardSize: 1, inline: options.workers <= 1 });
        const d = 2 * n;
        members.forEach((w, j) => {
          results[w] = {
            loss: r.losses[j],
            dp: j === 0 ? r.dp : new Float64Array(r.dp.length),
            dy0: r.dy0.slice(j * d, (j + 1) * d),
            fEvals: j === 0 ? r.stats.fEvals : 0,
            vjpEvals: j === 0 ? r.stats.vjpEvals : 0,
            peakBytes: r.stats.peakBytes,
          };
        });
      }),
    );
    return results;
  };
}
