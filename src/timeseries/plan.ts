/**
 * A problem with a network (a neural or hybrid model, problem.ts) as a time-series training job
 * (timeseries/job.ts): the data as a TimeSeries (empty cells are NaN: missing), the starting
 * parameters, the indices to train, and the spec's `training`, `solver`, `gradient` and
 * `forecast` as the options of trainTimeSeries / trainInPhases. The caller adds where batches run
 * (the worker pool or this thread), progress callbacks and an abort signal.
 *
 *   training: { iterations: 1000, batchSize: 10, batchLength: 10, lr: 0.03, schedule: { kind: cosine },
 *               phases: [ {}, { iterations: 500, batchSize: 1, batchLength: 100, lr: 0.003 } ] }
 *
 * Each phase is the base settings with its own on top (trainInPhases adds the phase's index to
 * its seed).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Problem } from '../spec/problem.ts';
import type { PhaseSpec } from '../spec/schema.ts';
import { createTimeSeries, type TimeSeries } from './series.ts';
import type { TrainOptions } from './train.ts';

/** trainTimeSeries's default iteration count (timeseries/train.ts). */
export const DEFAULT_TRAINING_ITERATIONS = 1000;

export type PhaseOptions = Partial<Omit<TrainOptions, 'field' | 'series'>>;

export interface TrainingPlan {
  /** The base options: everything but where batches run, callbacks and the signal. */
  readonly train: TrainOptions;
  /** The phases, when the spec has `training.phases`. */
  readonly phases?: readonly PhaseOptions[];
  /** Iterations of each run (one entry without phases), after any override. */
  readonly iterations: readonly number[];
  /** End of the forecast: the override, else `forecast.until`, else the data's end. */
  readonly until: number;
  readonly points?: number;
}

export interface PlanOverrides {
  /**
   * Total iterations in place of the spec's: a single run gets all of them; phases share them in
   * proportion to their own counts (each at least 1).
   */
  readonly iterations?: number;
  /** End of the forecast in place of `forecast.until`. */
  readonly until?: number;
}

export function trainingPlan(problem: Problem, overrides: PlanOverrides = {}): TrainingPlan {
  const network = problem.network;
  if (!network) throw new InvalidArgumentError('problem.network', undefined, 'a problem whose model has a network');
  const series = problemSeries(problem);
  const training = network.training;
  const { phases: phaseSpecs, ...base } = training;
  const spec = problem.spec;
  const solver = problem.solver;
  const written = phaseSpecs ? phaseSpecs.map((p) => p.iterations ?? base.iterations ?? DEFAULT_TRAINING_ITERATIONS) : [base.iterations ?? DEFAULT_TRAINING_ITERATIONS];
  const iterations = overrides.iterations === undefined ? written : shareIterations(written, overrides.iterations);
  const train: TrainOptions = {
    field: problem.field,
    series,
    params: problem.params,
    y0: problem.y0,
    trainable: network.trainable,
    gradient: problem.gradient,
    solver,
    ...phaseOptions(base),
    ...(phaseSpecs ? {} : { iterations: iterations[0] }),
  };
  const end = series.times[series.times.length - 1];
  return {
    train,
    phases: phaseSpecs?.map((phase, i) => ({ ...phaseOptions(phase), iterations: iterations[i] })),
    iterations,
    until: overrides.until ?? spec.forecast?.until ?? end,
    points: spec.forecast?.points,
  };
}

/** The problem's data as a time series of its model's states. */
export function problemSeries(problem: Problem): TimeSeries {
  const data = problem.data;
  if (!data) throw new InvalidArgumentError('problem.data', undefined, 'data to train on');
  return createTimeSeries({ times: data.times, values: data.values, observed: data.columns }, problem.field);
}

/** `total` iterations shared in proportion to `counts` (largest remainders; each at least 1). */
export function shareIterations(counts: readonly number[], total: number): number[] {
  const sum = counts.reduce((s, c) => s + c, 0);
  const exact = counts.map((c) => (total * c) / sum);
  const shares = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const left = total - shares.reduce((s, c) => s + c, 0);
  for (let k = 0; k < left; k++) shares[order[k][1]]++;
  return shares.map((n) => Math.max(1, n));
}

function phaseOptions(phase: PhaseSpec): PhaseOptions {
  return stripUndefined({ ...phase });
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
