/**
 * buildProblem(spec, data?): a validated spec (and its data table) as everything a solve, a
 * gradient or a fit needs: the field, the starting y0 and p, which entries are fitted (with
 * bounds and transforms), output times, solver and gradient options, the loss and the optimizer
 * settings. It is a pure function of JSON-able inputs, so a worker can rebuild the same problem
 * from the spec it was sent.
 *
 * Checks that need the model (names of states and parameters, the data's columns, tolerances per
 * state) are made here; all problems found are reported together in one SpecError.
 */
import type { Field } from '../fields/field.ts';
import type { DataTable } from '../io/csv.ts';
import { squaredError, type Loss } from '../losses/loss.ts';
import type { GradientMethodName } from '../gradients/types.ts';
import { getMethod } from '../solvers/methods.ts';
import type { SolveOptions } from '../solvers/options.ts';
import { didYouMean } from '../fields/expression/suggest.ts';
import { SpecError, type SpecIssue } from './errors.ts';
import { modelStateNames, resolveModel, type ResolvedModel } from './model.ts';
import { compileObservations, type Observation } from './observations.ts';
import type { OptimizerSpec, Spec } from './schema.ts';
import { resolveValues, type FreeValue } from './values.ts';

export interface Series {
  /** The data column's name: a state or an observation. */
  readonly name: string;
  /** The state it observes, or -1 for an observation. */
  readonly state: number;
  readonly observation?: Observation;
  readonly weight: number;
}

/** Solver options without the per-call parts (times, params, t0). */
export type SolverSettings = Omit<SolveOptions, 'times' | 'params' | 't0' | 't1'>;

export interface GradientSettings {
  readonly method: GradientMethodName;
  readonly keepStages?: boolean;
  readonly adjointRtol?: number;
  readonly adjointAtol?: number;
}

export type OptimizerSettings = Required<Omit<OptimizerSpec, 'lr'>> & { readonly lr: number };

export interface Problem {
  readonly name: string;
  readonly spec: Spec;
  readonly field: Field;
  readonly stateNames: readonly string[];
  readonly paramNames: readonly string[];
  /** Starting values (the spec's). */
  readonly y0: Float64Array;
  readonly params: Float64Array;
  /** The fitted entries of y0 and p, in the order of theta. */
  readonly free: readonly FreeValue[];
  /** Time of the initial state. */
  readonly t0: number;
  /** Output times of `aca solve`: the spec's `times`, else the data's; undefined if neither. */
  readonly times?: Float64Array;
  readonly solver: SolverSettings;
  readonly gradient: GradientSettings;
  readonly optimizer: OptimizerSettings;
  readonly data?: DataTable;
  /** The data's columns as series of the loss (empty without data). */
  readonly series: readonly Series[];
  /** Weighted squared error of the series against the data at data.times (undefined without data). */
  readonly loss?: Loss;
}

export function buildProblem(spec: Spec, data?: DataTable, resolved?: ResolvedModel): Problem {
  const model = resolved ?? resolveModel(spec);
  const { field, stateNames, paramNames } = model;
  const issues: SpecIssue[] = [];

  const initial = resolveValues('initial', spec.initial, stateNames, issues);
  const params = resolveValues('params', spec.params, paramNames, issues);
  const observations = compileObservations(spec.observations, model, issues);
  const times = outputTimes(spec, issues);
  const t0 = spec.t0 ?? times?.[0] ?? data?.times[0] ?? 0;
  checkStart(spec, t0, times, data, issues);
  const solver = solverSettings(spec, field.dim, issues);
  const seriesNames = [...stateNames, ...observations.map((o) => o.name)];
  for (const name of Object.keys(spec.loss?.weights ?? {})) {
    if (!seriesNames.includes(name)) {
      const hint = didYouMean(name, seriesNames) || ` (the series are ${seriesNames.join(', ')})`;
      issues.push({ path: `loss.weights.${name}`, message: `'${name}' is not a state or an observation${hint}` });
    }
  }
  if (issues.length > 0) throw new SpecError(issues);

  const series: Series[] = (data?.columns ?? []).map((name) => ({
    name,
    state: stateNames.indexOf(name),
    observation: observations.find((o) => o.name === name),
    weight: spec.loss?.weights?.[name] ?? 1,
  }));
  for (const s of series) {
    if (s.state < 0 && !s.observation) {
      // parseCsv checks the header against dataColumns(spec); a table built by hand may not have.
      throw new SpecError([{ path: 'data', message: `column '${s.name}' is not a state or an observation` }]);
    }
  }

  return {
    name: spec.name ?? 'problem',
    spec,
    field,
    stateNames,
    paramNames,
    y0: initial.values,
    params: params.values,
    free: [...initial.free, ...params.free],
    t0,
    times: times ?? data?.times,
    solver,
    gradient: {
      method: (spec.gradient?.method ?? 'aca') as GradientMethodName,
      keepStages: spec.gradient?.keepStages,
      adjointRtol: spec.gradient?.adjointRtol,
      adjointAtol: spec.gradient?.adjointAtol,
    },
    optimizer: optimizerSettings(spec.optimizer),
    data,
    series,
    loss: data ? seriesLoss(field.dim, series, data, spec.loss?.reduction ?? 'sum') : undefined,
  };
}

/** The columns a data file for this spec may have: the states, then the observations. */
export function dataColumns(spec: Spec): string[] {
  return [...modelStateNames(spec), ...Object.keys(spec.observations ?? {})];
}

/** The series' values at outputs (K x d): K x series.length, row-major. */
export function observeSeries(problem: Problem, outputs: Float64Array, times: ArrayLike<number>): Float64Array {
  const d = problem.field.dim;
  const m = problem.series.length;
  const out = new Float64Array(times.length * m);
  for (let k = 0; k < times.length; k++) {
    const y = outputs.subarray(k * d, (k + 1) * d);
    problem.series.forEach((s, j) => {
      out[k * m + j] = s.observation ? s.observation.value(times[k], y) : y[s.state];
    });
  }
  return out;
}

export const DEFAULT_OPTIMIZER: OptimizerSettings = {
  method: 'lbfgs',
  iterations: 100,
  lr: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  lrDecay: 1,
  memory: 10,
  gradientTolerance: 1e-8,
  lossTolerance: 1e-12,
  checkpointEvery: 10,
};

function optimizerSettings(spec: OptimizerSpec | undefined): OptimizerSettings {
  const method = spec?.method ?? DEFAULT_OPTIMIZER.method;
  // L-BFGS's lr is its first trial step length; Adam's is its learning rate.
  const lr = spec?.lr ?? (method === 'lbfgs' ? 1 : DEFAULT_OPTIMIZER.lr);
  return { ...DEFAULT_OPTIMIZER, ...stripUndefined(spec ?? {}), method, lr };
}

function outputTimes(spec: Spec, issues: SpecIssue[]): Float64Array | undefined {
  const times = spec.times;
  if (times === undefined) return undefined;
  if (!Array.isArray(times)) {
    if (!(times.stop > times.start)) {
      issues.push({ path: 'times.stop', message: `${times.stop} is not after start ${times.start}` });
      return undefined;
    }
    // A weighted mean of the ends (not start + k step), so that 0..10 by 101 gives 0.3, not 0.30000000000000004.
    const n = times.count - 1;
    return Float64Array.from({ length: times.count }, (_, k) => (times.start * (n - k) + times.stop * k) / n);
  }
  for (let k = 1; k < times.length; k++) {
    if (!(times[k] > times[k - 1])) {
      issues.push({ path: `times[${k}]`, message: `${times[k]} is not after ${times[k - 1]} (times must increase)` });
      return undefined;
    }
  }
  return Float64Array.from(times);
}

function checkStart(spec: Spec, t0: number, times: Float64Array | undefined, data: DataTable | undefined, issues: SpecIssue[]): void {
  if (spec.t0 === undefined) return;
  if (times && times[0] < t0) {
    issues.push({ path: 't0', message: `${t0} is after the first output time ${times[0]} (integration runs forward from t0)` });
  }
  if (data && data.times[0] < t0) {
    issues.push({
      path: 't0',
      message: `${t0} is after the first data time ${data.times[0]} (${data.name} line ${data.lines[0]})`,
    });
  }
}

function solverSettings(spec: Spec, dim: number, issues: SpecIssue[]): SolverSettings {
  const solver = spec.solver ?? {};
  for (const key of ['rtol', 'atol'] as const) {
    const tol = solver[key];
    if (Array.isArray(tol) && tol.length !== dim) {
      issues.push({ path: `solver.${key}`, message: `expected a number or ${dim} values (one per state), got ${tol.length}` });
    }
  }
  const method = solver.method ?? 'dopri5';
  if (!getMethod(method).adaptive && solver.dt === undefined) {
    issues.push({ path: 'solver.dt', message: `missing (the fixed-step method '${method}' needs a step size)` });
  }
  return stripUndefined({
    method,
    rtol: solver.rtol,
    atol: solver.atol,
    maxSteps: solver.maxSteps,
    dt: solver.dt,
    firstStep: solver.firstStep,
    maxStep: solver.maxStep,
    controller: solver.controller,
  });
}

/**
 * L = r sum_k sum_j w_j (h_j(t_k, y_k) - data_kj)^2 over the cells that are not missing, with
 * r = 1 ('sum') or 1 / (number of observed cells) ('mean'). When every series is a state this is
 * losses/loss.ts's squaredError; observations add the chain rule through dh/dy.
 */
function seriesLoss(dim: number, series: readonly Series[], data: DataTable, reduction: 'sum' | 'mean'): Loss {
  const weights = series.map((s) => s.weight);
  if (series.every((s) => s.state >= 0)) {
    return squaredError(dim, { target: data.values, observed: series.map((s) => s.state), weights, reduction });
  }
  const m = series.length;
  const K = data.times.length;
  let cells = 0;
  for (let q = 0; q < data.values.length; q++) if (!Number.isNaN(data.values[q])) cells++;
  const scale = reduction === 'sum' ? 1 : 1 / Math.max(cells, 1);
  const dh = new Float64Array(dim);
  return (outputs, times, grad) => {
    grad.fill(0);
    let total = 0;
    for (let k = 0; k < K; k++) {
      const y = outputs.subarray(k * dim, (k + 1) * dim);
      for (let j = 0; j < m; j++) {
        const observed = data.values[k * m + j];
        if (Number.isNaN(observed)) continue;
        const s = series[j];
        const residual = (s.observation ? s.observation.value(times[k], y) : y[s.state]) - observed;
        total += weights[j] * residual * residual;
        const factor = 2 * scale * weights[j] * residual;
        if (s.observation) {
          s.observation.gradient(times[k], y, dh);
          for (let i = 0; i < dim; i++) grad[k * dim + i] += factor * dh[i];
        } else {
          grad[k * dim + s.state] += factor;
        }
      }
    }
    return scale * total;
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
