/**
 * Options of an ODE block on tensors, as written and as resolved. Defaults follow the seed
 * paper's image experiments: heun_euler with rtol = atol = 1e-2 over [0, 1], gradient by ACA.
 */
import { InvalidArgumentError } from '../errors.ts';
import { DEFAULT_CONTROLLER, type ControllerOptions } from '../solvers/controller.ts';
import { getMethod, type PreparedMethod } from '../solvers/methods.ts';
import { checkGradientSettings } from '../gradients/gradient.ts';
import { DEFAULT_GRADIENT, type GradientMethodName, type GradientSettings } from '../gradients/settings.ts';

export interface OdeBlockOptions {
  /** A tableau name of the float64 engine (solvers/methods.ts). Default 'heun_euler'. */
  readonly method?: string;
  /**
   * How the block is differentiated (default { method: 'aca' }): the library's GradientSettings;
   * of their options the tensor path uses the adjoint's tolerances (ACA on tensors always
   * recomputes each step under the tape, so keepStages does not apply).
   */
  readonly gradient?: GradientSettings;
  /** Tolerances of an adaptive method. Defaults 1e-2 and 1e-2 (the seed paper's). */
  readonly rtol?: number;
  readonly atol?: number;
  /** Step of a fixed-step method (rk4, euler, midpoint): the span is cut into ceil(span / dt) equal steps. */
  readonly dt?: number;
  /** Integration interval. Defaults 0 and 1. */
  readonly t0?: number;
  readonly t1?: number;
  /** First step of an adaptive method; default Hairer's initial-step algorithm. */
  readonly firstStep?: number;
  /** Attempts (accepted and rejected) before giving up. Default 1000. */
  readonly maxSteps?: number;
  readonly controller?: Partial<ControllerOptions>;
}

export interface ResolvedBlockOptions {
  readonly method: PreparedMethod;
  readonly gradient: GradientMethodName;
  readonly rtol: number;
  readonly atol: number;
  /** Number of equal steps of a fixed-step method (0 for adaptive ones). */
  readonly fixedSteps: number;
  readonly t0: number;
  readonly t1: number;
  readonly firstStep: number | null;
  readonly maxSteps: number;
  readonly adjointRtol: number;
  readonly adjointAtol: number;
  readonly controller: ControllerOptions;
}

export function resolveBlockOptions(options: OdeBlockOptions = {}): ResolvedBlockOptions {
  const method = getMethod(options.method ?? 'heun_euler');
  const settings = checkGradientSettings(options.gradient ?? DEFAULT_GRADIENT);
  const gradient = settings.method;
  const t0 = finite('t0', options.t0 ?? 0);
  const t1 = finite('t1', options.t1 ?? 1);
  if (t1 === t0) throw new InvalidArgumentError('t1', t1, `a time different from t0 = ${t0}`);
  const rtol = positive('rtol', options.rtol ?? 1e-2);
  const atol = positive('atol', options.atol ?? 1e-2);
  let fixedSteps = 0;
  if (!method.adaptive) {
    if (options.dt === undefined) {
      throw new InvalidArgumentError('dt', options.dt, `a positive step size (method ${method.name} has no error estimate)`);
    }
    const dt = positive('dt', options.dt);
    fixedSteps = Math.max(1, Math.ceil(Math.abs(t1 - t0) / dt - 1e-9));
  }
  const maxSteps = options.maxSteps ?? 1000;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new InvalidArgumentError('maxSteps', maxSteps, 'a positive integer');
  const firstStep = options.firstStep === undefined ? null : positive('firstStep', options.firstStep);
  const controller = { ...DEFAULT_CONTROLLER, ...options.controller };
  if (controller.kind !== 'integral' && controller.kind !== 'pi') {
    throw new InvalidArgumentError('controller.kind', controller.kind, "'integral' or 'pi'");
  }
  return {
    method,
    gradient,
    rtol,
    atol,
    fixedSteps,
    t0,
    t1,
    firstStep,
    maxSteps,
    adjointRtol: settings.method === 'adjoint' ? (settings.rtol ?? rtol) : rtol,
    adjointAtol: settings.method === 'adjoint' ? (settings.atol ?? atol) : atol,
    controller,
  };
}

function finite(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(name, v, 'a finite number');
  return v;
}

function positive(name: string, v: number): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(name, v, 'a finite number > 0');
  return v;
}
