/**
 * gradient(field, y0, options): the loss at the outputs and its derivatives with respect to the
 * initial state, the parameters and the end times. The one driver of the gradient methods: it
 * checks the problem, resolves the options, runs the forward solve with the method's observer,
 * evaluates the loss, runs the method's backward pass, and assembles the result and its stats.
 * The methods (aca.ts, adjoint.ts, naive.ts) supply only what differs between them.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { Integrator } from '../solvers/integrator.ts';
import { resolveOptions } from '../solvers/options.ts';
import { aca } from './aca.ts';
import { adjoint } from './adjoint.ts';
import { endTimeDerivatives, evaluateLoss, requireLoss, requireVjp } from './common.ts';
import type { GradientMethod } from './method.ts';
import { naive } from './naive.ts';
import { DEFAULT_GRADIENT, GRADIENT_METHODS, type GradientMethodName, type GradientSettings } from './settings.ts';
import type { GradientOptions, GradientResult } from './types.ts';
import { gradientBackend, wasmGradient } from '../wasm/gradient.ts';

const METHODS: { readonly [M in GradientMethodName]: GradientMethod } = {
  aca: aca as GradientMethod,
  adjoint: adjoint as GradientMethod,
  naive: naive as GradientMethod,
};

export function gradient(field: Field, y0: ArrayLike<number>, options: GradientOptions): GradientResult {
  requireVjp(field);
  requireLoss(options?.loss);
  const settings = options.gradient ?? DEFAULT_GRADIENT;
  const method = gradientMethod(settings, 'gradient');
  const opts = resolveOptions(field, y0, options);
  const backend = gradientBackend(field, opts, options.backend, settings);
  if (backend.backend === 'wasm') return wasmGradient(field, y0, options, opts);
  const start = Float64Array.from(y0);
  const pass = method.start({ field, y0: start, options: opts }, settings);

  const forward = new Integrator(field, opts, pass.keepStageInputs);
  forward.run(start, pass.observer);
  const { outputs } = forward;
  const times = opts.times;
  const g = new Float64Array(outputs.length);
  const loss = evaluateLoss(options.loss, outputs, times, g);

  const dy0 = new Float64Array(field.dim);
  const dp = new Float64Array(field.nParams);
  const back = pass.backward(forward, g, dy0, dp);
  const { dt0, dt1 } = endTimeDerivatives(field, opts.t0, start, opts.params, dy0, times, outputs, g);
  const fwd = { ...forward.stats };
  return {
    loss,
    dy0,
    dp,
    dt0,
    dt1,
    outputs,
    times,
    method: method.name,
    acceptedSteps: back.acceptedSteps,
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
