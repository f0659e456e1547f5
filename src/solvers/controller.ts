/**
 * Step-size control, apart from the stepper: the scaled error norm, Hairer's initial step, and
 * the integral and PI step-size updates (Hairer, Norsett, Wanner, Solving ODEs I, sec. II.4;
 * Hairer and Wanner, Solving ODEs II, sec. IV.2 for the PI controller). Powers go through
 * controllerPow (pow.ts), not Math.pow: reproduced bit for bit by the
 * WebAssembly back end (src/wasm/), so both take the same steps.
 */
import type { Field } from '../fields/field.ts';
import { controllerPow } from './pow.ts';

export interface ControllerOptions {
  /** 'integral' (the classical h err^(-1/(q+1))) or 'pi' (Gustafsson's PI controller). */
  readonly kind: 'integral' | 'pi';
  readonly safety: number;
  /** Bounds on the factor h_new / h. */
  readonly factorMin: number;
  readonly factorMax: number;
}

export const DEFAULT_CONTROLLER: ControllerOptions = {
  kind: 'integral',
  safety: 0.9,
  factorMin: 0.2,
  factorMax: 10,
};

/**
 * RMS of err_i / (atol_i + rtol_i max(|y_i|, |yNew_i|)) (Solving ODEs I, eq. II.4.11).
 * Returns NaN if any component is not finite, which the caller treats as a rejection.
 */
export function errorNorm(
  err: Float64Array,
  y: Float64Array,
  yNew: Float64Array,
  rtol: Float64Array,
  atol: Float64Array,
): number {
  const n = err.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = scaledError(err[i], y[i], yNew[i], rtol[i], atol[i]);
    sum += r * r;
  }
  return Math.sqrt(sum / n);
}

/** One component of errorNorm: err / (atol + rtol max(|y|, |yNew|)). */
export function scaledError(err: number, y: number, yNew: number, rtol: number, atol: number): number {
  const ay = Math.abs(y);
  const an = Math.abs(yNew);
  return err / (atol + rtol * (ay > an ? ay : an));
}

/** RMS of v_i / (atol_i + rtol_i |y_i|): the norm of the initial-step algorithm. */
function scaledNorm(v: Float64Array, y: Float64Array, rtol: Float64Array, atol: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const r = v[i] / (atol[i] + rtol[i] * Math.abs(y[i]));
    sum += r * r;
  }
  return Math.sqrt(sum / v.length);
}

/**
 * Hairer's starting step size (Solving ODEs I, p. 169, algorithm with d0, d1, d2). Costs one
 * f evaluation; f0 = f(t0, y0) is given. Returns a positive magnitude; the caller applies the
 * direction and the bounds. `work` needs two vectors of length dim.
 */
export function initialStepSize(
  field: Field,
  t0: number,
  y0: Float64Array,
  f0: Float64Array,
  p: Float64Array,
  direction: number,
  order: number,
  rtol: Float64Array,
  atol: Float64Array,
  work: [Float64Array, Float64Array],
): number {
  const d0 = scaledNorm(y0, y0, rtol, atol);
  const d1 = scaledNorm(f0, y0, rtol, atol);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  const [y1, f1] = work;
  for (let i = 0; i < y0.length; i++) y1[i] = y0[i] + direction * h0 * f0[i];
  field.f(t0 + direction * h0, y1, p, f1);
  for (let i = 0; i < y0.length; i++) f1[i] -= f0[i];
  const d2 = scaledNorm(f1, y0, rtol, atol) / h0;
  const dmax = Math.max(d1, d2);
  const h1 = dmax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : controllerPow(0.01 / dmax, 1 / (order + 1));
  return Math.min(100 * h0, h1);
}

/**
 * The factor h_new / h after a step with error norm err (1 = exactly at tolerance).
 * integral: safety err^(-1/(q+1)); PI: safety err^(-beta1) errPrev^(beta2) with
 * beta1 = 0.7/(q+1), beta2 = 0.4/(q+1) (Hairer and Wanner, Solving ODEs II, eq. IV.2.43c).
 * After a rejection the factor is capped at 1 (no growth right after failing).
 */
export function stepFactor(
  ctl: ControllerOptions,
  q: number,
  err: number,
  errPrev: number,
  accepted: boolean,
): number {
  let factor: number;
  if (err === 0) {
    factor = ctl.factorMax;
  } else if (ctl.kind === 'pi' && accepted) {
    factor = ctl.safety * controllerPow(err, -0.7 / (q + 1)) * controllerPow(errPrev, 0.4 / (q + 1));
  } else {
    factor = ctl.safety * controllerPow(err, -1 / (q + 1));
  }
  const hi = accepted ? ctl.factorMax : 1;
  return factor < ctl.factorMin ? ctl.factorMin : factor > hi ? hi : factor;
}

/** stepFactor's value and its partial derivatives with respect to err and errPrev. */
export interface FactorWithDerivatives {
  factor: number;
  dErr: number;
  dErrPrev: number;
}

/**
 * stepFactor with its partial derivatives, for the naive gradient method, which differentiates
 * through the controller. The same formula as stepFactor, term for term (a test compares the
 * two factors bitwise for every controller kind, accepted and rejected); the clipped branches
 * and err = 0 have zero derivative, and a NaN error norm (a rejected non-finite trial) gives
 * factorMin, as the integrator does.
 */
export function stepFactorWithDerivatives(
  ctl: ControllerOptions,
  q: number,
  err: number,
  errPrev: number,
  accepted: boolean,
): FactorWithDerivatives {
  if (Number.isNaN(err)) return { factor: ctl.factorMin, dErr: 0, dErrPrev: 0 };
  if (err === 0) return { factor: accepted ? ctl.factorMax : 1, dErr: 0, dErrPrev: 0 };
  let raw: number;
  let dErr: number;
  let dErrPrev = 0;
  if (ctl.kind === 'pi' && accepted) {
    const b1 = 0.7 / (q + 1);
    const b2 = 0.4 / (q + 1);
    raw = ctl.safety * controllerPow(err, -b1) * controllerPow(errPrev, b2);
    dErr = (-b1 * raw) / err;
    dErrPrev = (b2 * raw) / errPrev;
  } else {
    const b1 = 1 / (q + 1);
    raw = ctl.safety * controllerPow(err, -b1);
    dErr = (-b1 * raw) / err;
  }
  const hi = accepted ? ctl.factorMax : 1;
  if (raw < ctl.factorMin) return { factor: ctl.factorMin, dErr: 0, dErrPrev: 0 };
  if (raw > hi) return { factor: hi, dErr: 0, dErrPrev: 0 };
  return { factor: raw, dErr, dErrPrev };
}
