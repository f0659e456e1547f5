/**
 * buildProblem(spec, data?): a validated spec (and its data table) as everything a solve, a
 * gradient or a fit needs: the field, the starting y0 and p, which entries are fitted (with
 * bounds and transforms), output times, solver and gradient options, the loss and the optimizer
 * settings. It is a pure function of JSON-able inputs, so a worker can rebuild the same problem
 * from the spec it was sent.
 *
 * Checks that need the model (names of states and parameters, the data's columns, tolerances per
 * state) are made here; all problems found are reported together in one SpecError.
 *
 * A model with a network (a neural or hybrid model) is trained on its data as a time series
 * (spec/training.ts, timeseries/): `params` holds the model's own parameters only (the network's
 * start from its seeded initialisation), `initial` is the state at the first data time (by
 * default the first data row, when it observes every state) and is not fitted, and the keys of the
 * equation fit that the training does not use (`optimizer`, `loss`, `observations`, bounds and
 * transforms) are errors, as are `training` and `forecast` in an equation model's spec.
 */
import type { Field } from '../fields/field.ts';
import type { DataTable } from '../io/csv.ts';
import { squaredError, type Loss } from '../losses/loss.ts';
import { DEFAULT_GRADIENT, type GradientSettings } from '../gradients/settings.ts';
import { getMethod } from '../solvers/methods.ts';
import type { SolveOptions } from '../solvers/options.ts';
import { didYouMean } from '../fields/expression/suggest.ts';
import { SpecError, type SpecIssue } from './errors.ts';
import { modelStateNames, resolveModel, type ResolvedModel, type ResolvedNetwork } from './model.ts';
import { compileObservations, type Observation } from './observations.ts';
import { compileSpecEvents, eventTimeLoss } from './events.ts';
import type { EventLoss } from '../gradients/event-adjoint.ts';
import type { EventSpec } from '../solvers/events.ts';
import type { ForecastSpec, OptimizerSpec, Spec, TrainingSpec } from './schema.ts';
import { resolveValues, type FreeValue, type ResolvedValues } from './values.ts';
import { ownValue } from '../util/own.ts';
import { MAX_OUTPUT_VALUES } from '../limits.ts';

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

export type OptimizerSettings = Required<Omit<OptimizerSpec, 'lr' | 'lossTolerance'>> & { readonly lr: number };

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
  /** A model with a network: trained as a time series (spec/training.ts) rather than by fit(). */
  readonly network?: NetworkProblem;
  /** The spec's events (spec/events.ts); empty without. */
  readonly events: readonly EventSpec[];
  /** The squared error of observed event times (events with `observed`), else undefined. */
  readonly eventLoss?: EventLoss;
  /** End of the solve (the spec's t1), when given. */
  readonly t1?: number;
}

export interface NetworkProblem {
  readonly kind: 'neural' | 'hybrid';
  /** p = [the model's parameters (networkOffset of them), the network's (networkParams)]. */
  readonly networkOffset: number;
  readonly networkParams: number;
  /** Indices of p that training changes: the model's fitted parameters, then every network weight. */
  readonly trainable: readonly number[];
  /** The spec's `training` and `forecast` as written (defaults are timeseries/train.ts's). */
  readonly training: TrainingSpec;
  readonly forecast?: ForecastSpec;
}

export function buildProblem(spec: Spec, data?: DataTable, resolved?: ResolvedModel): Problem {
  const model = resolved ?? resolveModel(spec);
  const { field, stateNames, paramNames, network } = model;
  const issues: SpecIssue[] = [];

  const initial = network ? networkInitial(spec, stateNames, data, issues) : resolveValues('initial', spec.initial, stateNames, issues);
  const params = resolveValues('params', spec.params, network ? network.modelParamNames : paramNames, issues);
  const observations = network ? [] : compileObservations(spec.observations, model, issues);
  const events = compileSpecEvents(spec.events, model, issues);
  const times = outputTimes(spec, issues);
  if (times && times.length * field.dim > MAX_OUTPUT_VALUES) {
    issues.push({
      path: 'times',
      message: `${times.length} output times x ${field.dim} states is more than the limit of ${MAX_OUTPUT_VALUES} output values`,
    });
  }
  // A model with a network starts at the first data time (timeseries/train.ts).
  const t0 = (network ? data?.times[0] : undefined) ?? spec.t0 ?? times?.[0] ?? data?.times[0] ?? 0;
  checkStart(spec, t0, times, data, issues);
  if (network) checkNetworkSpec(spec, params, data, issues);
  else checkEquationSpec(spec, issues);
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
    // Own keys only: a state named `constructor` must not find Object.prototype's function.
    weight: ownValue(spec.loss?.weights, name) ?? 1,
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
    params: network ? network.initParams(params.values) : params.values,
    free: [...initial.free, ...params.free],
    t0,
    times: times ?? data?.times,
    solver,
    gradient: spec.gradient ?? DEFAULT_GRADIENT,
    // Least squares needs residuals: data, and no loss on event times besides.
    optimizer: optimizerSettings(spec.optimizer, data !== undefined && eventLossOf(spec, events) === undefined),
    data,
    series,
    loss: data ? seriesLoss(field.dim, series, data, spec.loss?.reduction ?? 'sum') : undefined,
    network: network ? networkProblem(spec, network, params.free) : undefined,
    events,
    eventLoss: eventLossOf(spec, events),
    t1: spec.t1,
  };
}

/** The observed event times as a loss, when some event has them. */
function eventLossOf(spec: Spec, events: readonly EventSpec[]): EventLoss | undefined {
  const entries = Object.values(spec.events ?? {});
  if (!entries.some((e) => e.observed !== undefined)) return undefined;
  return eventTimeLoss(events, { observed: entries.map((e) => e.observed), weights: entries.map((e) => e.weight ?? 1) });
}

function networkProblem(spec: Spec, network: ResolvedNetwork, free: readonly FreeValue[]): NetworkProblem {
  const weights = Array.from({ length: network.networkParams }, (_, j) => network.networkOffset + j);
  return {
    kind: network.kind,
    networkOffset: network.networkOffset,
    networkParams: network.networkParams,
    trainable: [...free.map((f) => f.index), ...weights],
    training: spec.training ?? {},
    forecast: spec.forecast,
  };
}

/**
 * The initial state of a model with a network: the spec's `initial` (numbers: training does not
 * fit it), else the data's first row when it observes every state.
 */
function networkInitial(spec: Spec, stateNames: readonly string[], data: DataTable | undefined, issues: SpecIssue[]): ResolvedValues {
  if (spec.initial !== undefined) {
    const initial = resolveValues('initial', spec.initial, stateNames, issues);
    for (const free of initial.free) {
      issues.push({
        path: free.path,
        message: `a model with a network does not fit its initial state: give a number (the state at the first data time)`,
      });
    }
    return { values: initial.values, free: [] };
  }
  const values = new Float64Array(stateNames.length);
  if (data) {
    const missing = stateNames.filter((name) => {
      const j = data.columns.indexOf(name);
      return j < 0 || Number.isNaN(data.values[j]);
    });
    if (missing.length === 0) {
      stateNames.forEach((name, i) => (values[i] = data.values[data.columns.indexOf(name)]));
      return { values, free: [] };
    }
    issues.push({
      path: 'initial',
      message: `missing (the data's first row, ${data.name} line ${data.lines[0]}, does not observe ${missing.join(', ')}; give the state at t = ${data.times[0]})`,
    });
  } else {
    issues.push({ path: 'initial', message: `missing (the state at the first data time; without it, the data's first row must observe every state)` });
  }
  return { values, free: [] };
}

/** The keys an equation fit uses and a network's training does not, and the training's own checks. */
function checkNetworkSpec(spec: Spec, params: ResolvedValues, data: DataTable | undefined, issues: SpecIssue[]): void {
  const unused: [keyof Spec, string][] = [
    ['optimizer', 'a model with a network is trained by `training` (mini-batches and Adam), not by `optimizer`'],
    ['loss', 'not used with a network: training minimizes the mean squared error over the observed cells'],
    ['observations', 'not supported with a network: the data columns must be states'],
  ];
  for (const [key, message] of unused) if (spec[key] !== undefined) issues.push({ path: key, message });
  for (const free of params.free) {
    if (free.transform !== 'none') {
      issues.push({ path: `${free.path}.transform`, message: 'not supported with a network (training takes plain Adam steps): leave it out' });
    } else if (free.lower > -Infinity || free.upper < Infinity) {
      issues.push({ path: `${free.path}.bounds`, message: 'not supported with a network (training takes plain Adam steps): leave them out' });
    }
  }
  if (data && spec.t0 !== undefined && spec.t0 !== data.times[0]) {
    issues.push({
      path: 't0',
      message: `${spec.t0} is not the first data time ${data.times[0]} (a model with a network starts there: leave t0 out)`,
    });
  }
  const until = spec.forecast?.until;
  if (data && until !== undefined && until < data.times[data.times.length - 1]) {
    issues.push({
      path: 'forecast.until',
      message: `${until} is before the data's end ${data.times[data.times.length - 1]} (the forecast runs past it)`,
    });
  }
  const training = spec.training ?? {};
  const runs = training.phases ? training.phases.map((phase, i) => ({ path: `training.phases[${i}]`, phase })) : [{ path: 'training', phase: {} }];
  // A problem with the base settings shows in every phase that inherits them: report it once.
  const seen = new Set<string>();
  const push = (issue: SpecIssue) => {
    if (!seen.has(issue.path)) issues.push(issue);
    seen.add(issue.path);
  };
  for (const { path, phase } of runs) {
    const lr = phase.lr ?? training.lr ?? DEFAULT_TRAINING_LR;
    const schedule = phase.schedule ?? training.schedule;
    if (schedule?.kind === 'cosine' && schedule.minLr !== undefined && schedule.minLr > lr) {
      const where = phase.schedule ? path : 'training';
      push({ path: `${where}.schedule.minLr`, message: `${schedule.minLr} is above the learning rate ${lr}` });
    }
    const holdout = phase.holdout ?? training.holdout ?? 0;
    const rows = data?.times.length ?? Infinity;
    if (holdout > 0 && rows - Math.max(1, Math.round(holdout * rows)) < 2) {
      const where = phase.holdout !== undefined ? path : 'training';
      push({ path: `${where}.holdout`, message: `${holdout} leaves fewer than two of the ${rows} data rows for training` });
    }
    if ((phase.validationFrom ?? training.validationFrom) === 'lastTraining' && holdout === 0) {
      const where = phase.validationFrom !== undefined ? path : 'training';
      push({ path: `${where}.validationFrom`, message: "'lastTraining' needs a held-out tail (holdout > 0)" });
    }
  }
}

/** The learning rate of timeseries/train.ts when `training.lr` is not given. */
const DEFAULT_TRAINING_LR = 1e-2;

function checkEquationSpec(spec: Spec, issues: SpecIssue[]): void {
  if (spec.training !== undefined) {
    issues.push({ path: 'training', message: 'only for a model with a network (model.network); an equation model is fitted by `optimizer`' });
  }
  if (spec.forecast !== undefined) {
    issues.push({ path: 'forecast', message: 'only for a model with a network (model.network)' });
  }
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
  method: 'lm',
  iterations: 100,
  lr: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  lrDecay: 1,
  memory: 10,
  ftol: 1e-8,
  xtol: 1e-8,
  gtol: 1e-8,
  scaling: 'jacobian',
  factor: 0.1,
  gradientTolerance: 0,
  checkpointEvery: 10,
};

function optimizerSettings(spec: OptimizerSpec | undefined, residuals: boolean): OptimizerSettings {
  // LM by default where the loss is a sum of squared residuals; else L-BFGS.
  const method = spec?.method ?? (residuals ? DEFAULT_OPTIMIZER.method : 'lbfgs');
  // L-BFGS's lr is its first trial step length; Adam's is its learning rate. In scaled
  // coordinates (fit.ts, only with residuals) a unit step changes the residuals by their own
  // size: L-BFGS's first step is a tenth of that, as LM's first trust radius (least-squares.ts).
  const scaling = spec?.scaling ?? DEFAULT_OPTIMIZER.scaling;
  const lr = spec?.lr ?? (method === 'lbfgs' ? (scaling === 'none' || !residuals ? 1 : 0.1) : DEFAULT_OPTIMIZER.lr);
  const { lossTolerance, ...rest } = stripUndefined(spec ?? {});
  const ftol = spec?.ftol ?? lossTolerance ?? DEFAULT_OPTIMIZER.ftol;
  return { ...DEFAULT_OPTIMIZER, ...rest, method, lr, ftol };
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
    stiffnessCheck: solver.stiffnessCheck,
    newtonTol: solver.newtonTol,
    eventSamples: solver.eventSamples,
    backend: solver.backend,
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
