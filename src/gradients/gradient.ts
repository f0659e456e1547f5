/**
 * gradient(field, y0, options): the loss at the outputs and its derivatives with respect to the
 * initial state, the parameters and the end times. The one driver of the gradient methods: it
 * checks the problem, resolves the options, runs the forward solve with the method's observer,
 * evaluates the loss, runs the method's backward pass, and assembles the result and its stats.
 * The methods (aca.ts, adjoint.ts, naive.ts) supply only what differs between them.
 *
 * ACA's forward pass runs at toleranceFactor x the tolerance (default 0.1), and with
 * `accuracy` the driver repeats at tighter tolerances until two gradients agree
 * (docs/gradient-accuracy.md). Every method's loss, loss gradient and gradient are checked
 * here for NaN and infinities (NonFiniteGradientError), so none is ever returned.
 */
import { GradientAccuracyError, InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { Integrator } from '../solvers/integrator.ts';
import { resolveOptions, scaleTolerances, type ResolvedOptions } from '../solvers/options.ts';
import { attachEvents } from '../solvers/solve.ts';
import { aca } from './aca.ts';
import { adjoint } from './adjoint.ts';
import { endTimeDerivatives, evaluateLoss, requireFiniteGradient, requireLoss, requireVjp } from './common.ts';
import { prepareEventGradient } from './event-adjoint.ts';
import type { GradientMethod } from './method.ts';
import { naive } from './naive.ts';
import { DEFAULT_GRADIENT, GRADIENT_METHODS, type GradientMethodName, type GradientSettings } from './settings.ts';
import type { GradientOptions, GradientResult } from './types.ts';
import type { BackendChoice } from '../wasm/backend.ts';
import { gradientBackend, wasmGradient } from '../wasm/gradient.ts';

const METHODS: { readonly [M in GradientMethodName]: GradientMethod } = {
  aca: aca as GradientMethod,
  adjoint: adjoint as GradientMethod,
  naive: naive as GradientMethod,
};

export function gradient(field: Field, y0: ArrayLike<number>, options: GradientOptions): GradientResult {
  requireVjp(field);
  if (options?.eventLoss === undefined || options.loss !== undefined) requireLoss(options?.loss);
  const settings = options.gradient ?? DEFAULT_GRADIENT;
  const method = gradientMethod(settings, 'gradient');
  const opts = resolveOptions(field, y0, options);
  // Events hook into the TypeScript integrator's steps: the WebAssembly loop has none.
  const backend: BackendChoice =
    options.events !== undefined && options.events.length > 0
      ? { backend: 'js', reason: 'the solve has events' }
      : gradientBackend(field, opts, options.backend, settings);
  const start = Float64Array.from(y0);
  const aca = settings.method === 'aca' ? settings : undefined;
  let factor = aca ? (aca.toleranceFactor ?? DEFAULT_TOLERANCE_FACTOR) : 1;
  const first = evaluate(field, start, scaleTolerances(opts, factor), options, method, settings, backend);
  if (aca?.accuracy === undefined) return first;
  if (!opts.method.adaptive) {
    // A fixed-step solve has no tolerance to tighten: two evaluations would agree trivially.
    throw new InvalidArgumentError('gradient.accuracy', aca.accuracy, `an adaptive method (${opts.method.name} has a fixed step)`);
  }

  // A requested accuracy: tighten by 10 until two successive gradients agree to it. The
  // difference estimates the error of the looser one, so it bounds the returned one's too
  // (the error falls with the tolerance), conservatively.
  const requested = aca.accuracy;
  const maxRefinements = aca.maxRefinements ?? DEFAULT_MAX_REFINEMENTS;
  let previous = first;
  let fEvals = first.stats.fEvals;
  for (let refinements = 1; ; refinements++) {
    factor /= 10;
    const next = evaluate(field, start, scaleTolerances(opts, factor), options, method, settings, backend);
    fEvals += next.stats.fEvals;
    const estimate = relativeDifference(next, previous);
    if (estimate <= requested) {
      return { ...next, accuracy: { estimate, requested, toleranceFactor: factor, refinements, fEvals } };
    }
    if (refinements >= maxRefinements) throw new GradientAccuracyError(requested, estimate, refinements, factor);
    previous = next;
  }
}

/** The default of AcaSettings.toleranceFactor (docs/gradient-accuracy.md has the measurements). */
export const DEFAULT_TOLERANCE_FACTOR = 0.05;
/** The default of AcaSettings.maxRefinements. */
export const DEFAULT_MAX_REFINEMENTS = 4;

/** ||(dy0, dp) - (dy0', dp')|| / ||(dy0, dp)||, both Euclidean. */
function relativeDifference(a: GradientResult, b: GradientResult): number {
  let num = 0;
  let den = 0;
  for (const [x, y] of [[a.dy0, b.dy0], [a.dp, b.dp]] as const) {
    for (let i = 0; i < x.length; i++) {
      num += (x[i] - y[i]) ** 2;
      den += x[i] ** 2;
    }
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** One evaluation: forward solve with the method's observer, loss, backward pass, checks. */
function evaluate(
  field: Field,
  start: Float64Array,
  opts: ResolvedOptions,
  options: GradientOptions,
  method: GradientMethod,
  settings: GradientSettings,
  backend: BackendChoice,
): GradientResult {
  if (backend.backend === 'wasm') return wasmGradient(field, start, options.loss!, opts);
  const pass = method.start({ field, y0: start, options: opts }, settings);

  const forward = new Integrator(field, opts, pass.keepStageInputs);
  const locator = attachEvents(forward, field, opts, options);
  if (locator && !method.events) {
    throw new InvalidArgumentError('gradient.method', method.name, "'aca' (the method that differentiates through events)");
  }
  forward.run(start, pass.observer);
  const { outputs } = forward;
  const times = opts.times;
  const g = new Float64Array(outputs.length);
  let value = options.loss ? evaluateLoss(options.loss, outputs, times, g) : 0;
  const events = locator ? prepareEventGradient(field, opts, options, locator, forward) : null;
  if (events) value += events.loss;

  const dy0 = new Float64Array(field.dim);
  const dp = new Float64Array(field.nParams);
  const back = events ? pass.backward(forward, g, dy0, dp, events.adjoint) : pass.backward(forward, g, dy0, dp);
  requireFiniteGradient(opts.t0, dy0, dp);
  const { dt0, dt1 } = endTimeDerivatives(field, opts.t0, start, opts.params, dy0, times, outputs, g);
  const fwd = { ...forward.stats };
  return {
    loss: value,
    dy0,
    dp,
    dt0,
    dt1,
    outputs,
    times,
    method: method.name,
    events: locator ? locator.records.slice() : [],
    acceptedSteps: back.acceptedSteps,
    ...(back.diagnostics ? { diagnostics: back.diagnostics } : {}),
    stats: {
      forward: fwd,
      fEvals: fwd.fEvals + back.fEvals + 2, // + 2: the end-time derivatives
      vjpEvals: back.vjpEvals,
      accepted: fwd.accepted,
      rejected: fwd.rejected,
      backwardAccepted: back.accepted,
      backwardRejected: back.rejected,
      checkpoints: back.checkpoints,
      checkpointBytes: back.checkpointBytes,
      peakBytes: back.peakBytes,
      backend: 'js',
      ...(backend.reason ? { backendReason: backend.reason } : {}),
    },
  };
}

/**
 * The method object for a settings value, after the method has checked its own options. `path`
 * names the settings in messages ('gradient', 'spec.gradient', 'run.gradient', ...).
 */
export function gradientMethod(settings: GradientSettings, path = 'gradient'): GradientMethod {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new InvalidArgumentError(path, settings, `an object such as { method: 'aca' } (methods: ${GRADIENT_METHODS.join(', ')})`);
  }
  const name = (settings as { method?: unknown }).method;
  const method = typeof name === 'string' && Object.hasOwn(METHODS, name) ? METHODS[name as GradientMethodName] : undefined;
  if (!method) throw new InvalidArgumentError(`${path}.method`, name, `one of ${GRADIENT_METHODS.join(', ')}`);
  method.check(settings, path);
  return method;
}

/** Checks gradient settings where they enter (specs, batch lines, training options). */
export function checkGradientSettings(settings: GradientSettings, path = 'gradient'): GradientSettings {
  gradientMethod(settings, path);
  return settings;
}
