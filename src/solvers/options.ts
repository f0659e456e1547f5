/**
 * Solver options as the user writes them, and their validated, resolved form. Validation names
 * the option, the value and what is allowed (InvalidArgumentError).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import type { EventSpec } from './events.ts';
import { DEFAULT_CONTROLLER, type ControllerOptions } from './controller.ts';
import { defaultNewtonTolerance } from './implicit.ts';
import { getMethod, type PreparedMethod } from './methods.ts';
import { closestName } from '../fields/expression/suggest.ts';
import { MAX_OUTPUT_VALUES, MAX_TIMES } from '../limits.ts';

/**
 * The smallest relative tolerance: near machine epsilon the error estimate is rounding noise and
 * the controller shrinks the step until it underflows. 1e-14 is about 45 eps.
 */
export const MIN_RTOL = 1e-14;

export type Tolerance = number | ArrayLike<number>;

/** What a solve keeps: the states at output times, at every accepted step, or a dense solution. */
export type SaveAt = ArrayLike<number> | 'steps' | 'dense';

export interface SolveOptions {
  /**
   * Output times, increasing (or decreasing, to integrate backwards). May be left out when t0
   * and t1 are given (e.g. with save: 'steps' or 'dense').
   */
  readonly times?: ArrayLike<number>;
  /**
   * What the solution keeps (solve() only): output times (the same as `times`), 'steps' (every
   * accepted step's end) or 'dense' (also each step's interpolant, for solution.at(t)). Default:
   * the output times, or 'steps' when there are none.
   */
  readonly save?: SaveAt;
  /** Events located on the dense interpolant (solvers/events.ts). */
  readonly events?: readonly EventSpec[];
  /** Points per step at which events are sampled for sign changes (default 4). */
  readonly eventSamples?: number;
  /** Start time; defaults to times[0] when there are two or more output times. */
  readonly t0?: number;
  /** End of integration; defaults to the last output time. */
  readonly t1?: number;
  /** Method name (see METHOD_NAMES); default 'dopri5'. */
  readonly method?: string;
  /** Parameters p of the field (length field.nParams). */
  readonly params?: ArrayLike<number>;
  /** Relative and absolute tolerances, scalar or per component. Defaults 1e-6 and 1e-9. */
  readonly rtol?: Tolerance;
  readonly atol?: Tolerance;
  /** Step size of a fixed-step method (required for euler, midpoint, rk4). */
  readonly dt?: number;
  /** First step of an adaptive method; default: Hairer's initial-step algorithm. */
  readonly firstStep?: number;
  /** Maximum number of step attempts, accepted and rejected. Default 100000. */
  readonly maxSteps?: number;
  readonly minStep?: number;
  readonly maxStep?: number;
  readonly controller?: 'integral' | 'pi' | Partial<ControllerOptions>;
  /**
   * Land steps exactly on the output times instead of interpolating. Default: false, except for
   * high-order adaptive methods without their own dense output (dopri8), whose large steps would
   * make the cubic Hermite interpolant far less accurate than the steps themselves.
   */
  readonly landOnOutputs?: boolean;
  /**
   * Stop with StiffnessDetectedError (ERR_STIFF) when an explicit method's steps are held on its
   * stability boundary (solvers/stiffness.ts). Default true.
   */
  readonly stiffnessCheck?: boolean;
  /**
   * Implicit methods: the Newton iteration's stopping tolerance, as a fraction of the error
   * tolerance (solvers/implicit.ts). Default max(10 eps / rtol, min(0.03, sqrt(rtol))).
   */
  readonly newtonTol?: number;
  /**
   * 'auto' (default): the generated WebAssembly solver when the field has a WebAssembly form and
   * the method is dopri5 or tsit5, else TypeScript; 'js' or 'wasm' to insist (src/wasm/backend.ts).
   */
  readonly backend?: 'auto' | 'js' | 'wasm';
}

export interface ResolvedOptions {
  readonly method: PreparedMethod;
  readonly times: Float64Array;
  readonly t0: number;
  readonly t1: number;
  readonly direction: number;
  readonly params: Float64Array;
  readonly rtol: Float64Array;
  readonly atol: Float64Array;
  readonly dt: number;
  readonly firstStep: number;
  readonly maxSteps: number;
  readonly minStep: number;
  readonly maxStep: number;
  readonly controller: ControllerOptions;
  readonly landOnOutputs: boolean;
  readonly stiffnessCheck: boolean;
  readonly newtonTol: number;
}

export function resolveOptions(field: Field, y0: ArrayLike<number>, opts: SolveOptions): ResolvedOptions {
  if (opts == null || typeof opts !== 'object') {
    throw new InvalidArgumentError('options', opts, 'an object with at least `times`');
  }
  const method = getMethod(opts.method ?? 'dopri5');
  const d = field.dim;
  if (!Number.isInteger(d) || d < 1) throw new InvalidArgumentError('field.dim', d, 'a positive integer');
  if (y0 == null || y0.length !== d) {
    throw new InvalidArgumentError('y0', y0, `an array of length ${d} (the field's dimension)`);
  }
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(y0[i])) throw new InvalidArgumentError(`y0[${i}]`, y0[i], 'a finite number');
  }
  // A string has a length and indexable characters: '01' would pass as [0, 1].
  if (typeof opts.times === 'string') throw new InvalidArgumentError('times', opts.times, 'an array of numbers (not a string)');
  const save = opts.save;
  const savedTimes = save !== undefined && typeof save !== 'string' ? save : undefined;
  if (savedTimes !== undefined && opts.times !== undefined) {
    throw new InvalidArgumentError('save', save, "'steps' or 'dense' when `times` is given (or the output times in place of `times`)");
  }
  if (save !== undefined && savedTimes === undefined && save !== 'steps' && save !== 'dense') {
    throw new InvalidArgumentError('save', save, "output times, 'steps' or 'dense'");
  }
  const timesIn = opts.times ?? savedTimes;
  if (timesIn != null && timesIn.length > MAX_TIMES) {
    throw new InvalidArgumentError('times', `${timesIn.length} output times`, `at most ${MAX_TIMES}`);
  }
  const times = timesIn === undefined && opts.t1 !== undefined ? new Float64Array(0) : toFloat64('times', timesIn);
  if (times.length === 0 && (opts.t0 === undefined || opts.t1 === undefined)) {
    throw new InvalidArgumentError('times', opts.times, 'at least one output time, or both t0 and t1');
  }
  if (times.length * d > MAX_OUTPUT_VALUES) {
    throw new InvalidArgumentError('times', `${times.length} output times x ${d} states`, `at most ${MAX_OUTPUT_VALUES} output values`);
  }
  if (times.length === 1 && opts.t0 === undefined) {
    // t0 would default to the only output time: a solve of zero length that returns y0.
    throw new InvalidArgumentError('t0', opts.t0, `a start time (required with a single output time ${times[0]})`);
  }
  const t0 = opts.t0 ?? times[0];
  finite('t0', t0);
  const t1 = opts.t1 ?? times[times.length - 1];
  finite('t1', t1);
  const last = times.length > 0 ? times[times.length - 1] : t1;
  const direction = t1 > t0 ? 1 : t1 < t0 ? -1 : last >= t0 ? 1 : -1;
  let prev = t0;
  for (let k = 0; k < times.length; k++) {
    const tk = times[k];
    if (direction * (tk - prev) < 0) {
      const order = direction > 0 ? 'increasing' : 'decreasing';
      const from = k === 0 ? `t0 = ${t0}` : `times[${k - 1}] = ${prev}`;
      throw new InvalidArgumentError(`times[${k}]`, tk, `output times must be ${order} from ${from}`);
    }
    prev = tk;
  }
  if (direction * (t1 - last) < 0) {
    throw new InvalidArgumentError('t1', t1, `must not end before the last output time ${last}`);
  }

  const params = toFloat64('params', opts.params ?? new Float64Array(0));
  if (params.length !== field.nParams) {
    throw new InvalidArgumentError('params', opts.params, `an array of length ${field.nParams} (the field's parameter count)`);
  }
  const rtol = tolerance('rtol', opts.rtol ?? 1e-6, d, MIN_RTOL, `a finite number >= ${MIN_RTOL}`);
  const atol = tolerance('atol', opts.atol ?? 1e-9, d, Number.MIN_VALUE, 'a finite number > 0');

  let dt = NaN;
  if (!method.adaptive) {
    if (opts.dt === undefined && !opts.landOnOutputs) {
      throw new InvalidArgumentError('dt', opts.dt, `a positive step size (required by the fixed-step method ${method.name})`);
    }
    if (opts.dt !== undefined) dt = positive('dt', opts.dt);
    else dt = Infinity;
  }
  const firstStep = opts.firstStep === undefined ? NaN : positive('firstStep', opts.firstStep);
  const maxSteps = opts.maxSteps ?? 100_000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new InvalidArgumentError('maxSteps', maxSteps, 'a positive integer');
  }
  const minStep = opts.minStep ?? 0;
  if (!(minStep >= 0) || !Number.isFinite(minStep)) throw new InvalidArgumentError('minStep', minStep, 'a finite number >= 0');
  const stiffnessCheck = opts.stiffnessCheck ?? true;
  if (typeof stiffnessCheck !== 'boolean') throw new InvalidArgumentError('stiffnessCheck', stiffnessCheck, 'true or false');
  const newtonTol = opts.newtonTol === undefined ? defaultNewtonTolerance(rtol) : positive('newtonTol', opts.newtonTol);
  const maxStep = opts.maxStep ?? Infinity;
  if (!(maxStep > minStep)) throw new InvalidArgumentError('maxStep', maxStep, `a number > minStep (${minStep})`);

  return {
    method,
    times,
    t0,
    t1,
    direction,
    params,
    rtol,
    atol,
    dt,
    firstStep,
    maxSteps,
    minStep,
    maxStep,
    controller: resolveController(opts.controller),
    landOnOutputs: opts.landOnOutputs ?? (method.adaptive && !method.tableau.dense && method.order > 4),
    stiffnessCheck,
    newtonTol,
  };
}

const CONTROLLER_KEYS = Object.keys(DEFAULT_CONTROLLER);

function resolveController(c: SolveOptions['controller']): ControllerOptions {
  if (c != null && typeof c === 'object') {
    // A misspelt key (factorMaxx) would otherwise be ignored and its default used.
    for (const key of Object.keys(c)) {
      if (!CONTROLLER_KEYS.includes(key)) {
        const guess = closestName(key, CONTROLLER_KEYS);
        const hint = guess ? `did you mean '${guess}'?` : `the options are ${CONTROLLER_KEYS.join(', ')}`;
        throw new InvalidArgumentError(`controller.${key}`, (c as Record<string, unknown>)[key], `unknown controller option; ${hint}`);
      }
    }
  } else if (c !== undefined && typeof c !== 'string') {
    throw new InvalidArgumentError('controller', c, "'integral', 'pi' or an object of controller options");
  }
  const base = typeof c === 'string' ? { ...DEFAULT_CONTROLLER, kind: c } : { ...DEFAULT_CONTROLLER, ...(c ?? {}) };
  if (base.kind !== 'integral' && base.kind !== 'pi') {
    throw new InvalidArgumentError('controller', base.kind, "'integral' or 'pi'");
  }
  if (!(base.safety > 0 && base.safety <= 1)) throw new InvalidArgumentError('controller.safety', base.safety, 'a number in (0, 1]');
  if (!(base.factorMin > 0 && base.factorMin < 1)) throw new InvalidArgumentError('controller.factorMin', base.factorMin, 'a number in (0, 1)');
  if (!(base.factorMax > 1)) throw new InvalidArgumentError('controller.factorMax', base.factorMax, 'a number > 1');
  return base;
}

function finite(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(name, v, 'a finite number');
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidArgumentError(name, v, 'a finite number > 0');
  }
  return v;
}

function toFloat64(name: string, v: ArrayLike<number> | undefined): Float64Array {
  if (v == null || typeof v === 'string' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError(name, v, 'an array of numbers');
  }
  const out = Float64Array.from(v);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new InvalidArgumentError(`${name}[${i}]`, v[i], 'a finite number');
  }
  return out;
}

function tolerance(name: string, v: Tolerance, d: number, min: number, allowed: string): Float64Array {
  if (typeof v === 'number') {
    if (!(v >= min) || !Number.isFinite(v)) throw new InvalidArgumentError(name, v, allowed);
    return new Float64Array(d).fill(v);
  }
  const arr = toFloat64(name, v);
  if (arr.length !== d) throw new InvalidArgumentError(name, v, `a number or an array of length ${d}`);
  for (let i = 0; i < d; i++) {
    if (!(arr[i] >= min)) throw new InvalidArgumentError(`${name}[${i}]`, arr[i], allowed);
  }
  return arr;
}

/** The tightest rtol a scaled solve gets: below ~100 ulps the error estimate is rounding. */
const RTOL_FLOOR = 1e-14;

/**
 * The options with rtol and atol multiplied by `factor` (rtol no lower than RTOL_FLOOR): ACA's
 * forward pass at toleranceFactor x the user's tolerances (gradients/gradient.ts), and the forward
 * sensitivities of a least-squares fit on the same steps (gradients/sensitivities.ts).
 */
export function scaleTolerances(opts: ResolvedOptions, factor: number): ResolvedOptions {
  if (factor === 1 || !opts.method.adaptive) return opts;
  const rtol = opts.rtol.map((v) => (v === 0 ? 0 : Math.max(v * factor, Math.min(v, RTOL_FLOOR))));
  const atol = opts.atol.map((v) => v * factor);
  return { ...opts, rtol, atol };
}
