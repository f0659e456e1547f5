/**
 * Pieces of the gradient driver (gradient.ts): checks on the problem, the loss gradient at the
 * outputs, and the end-time derivatives dL/dt0 and dL/dt1.
 */
import { InvalidArgumentError, NonFiniteGradientError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import type { Loss } from '../losses/loss.ts';

export function requireVjp(field: Field): void {
  if (typeof field?.vjp !== 'function') {
    throw new InvalidArgumentError('field.vjp', field?.vjp, 'a field with a VJP (gradients need a^T df/dy and a^T df/dp)');
  }
}

export function requireLoss(loss: unknown): asserts loss is Loss {
  if (typeof loss !== 'function') {
    throw new InvalidArgumentError('loss', loss, 'a function (outputs, times, grad) => number, e.g. squaredError(...)');
  }
}

/**
 * Evaluates the loss and its gradient at the outputs (K x d). A non-finite loss value or
 * gradient component is a NonFiniteGradientError naming the output time and component.
 */
export function evaluateLoss(loss: Loss, outputs: Float64Array, times: Float64Array, grad: Float64Array): number {
  const value = loss(outputs, times, grad);
  if (!Number.isFinite(value)) throw new NonFiniteGradientError('loss value', times[times.length - 1], 0, value, 'the loss returned it');
  const d = outputs.length / times.length;
  const k = firstNonFinite(grad);
  if (k >= 0) {
    throw new NonFiniteGradientError('loss gradient dL/dy', times[Math.floor(k / d)], k % d, grad[k], 'the loss wrote it into its gradient');
  }
  return value;
}

/** Index of the first NaN or infinite entry, or -1 (one add per entry when all are finite). */
export function firstNonFinite(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * 0;
  if (sum === 0) return -1;
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return i;
  return -1;
}

/**
 * The gradient's own check: dL/dy0 and dL/dp must be finite (one place for every method). The
 * usual cause is a 0/0 in a derivative, e.g. d/dx abs(x) = abs(x)/x at x = 0.
 */
export function requireFiniteGradient(t0: number, dy0: Float64Array, dp: Float64Array): void {
  const hint = "the field's VJP or the loss gradient produced it, e.g. a 0/0 such as abs(x)/x at x = 0";
  let i = firstNonFinite(dy0);
  if (i >= 0) throw new NonFiniteGradientError('dL/dy0', t0, i, dy0[i], hint);
  i = firstNonFinite(dp);
  if (i >= 0) throw new NonFiniteGradientError('dL/dp', t0, i, dp[i], hint);
}

/**
 * dL/dt0 = -dL/dy0 . f(t0, y0) (the outputs held at fixed times) and dL/dt_K = g_K . f(t_K, y_K)
 * for the last output time: two f evaluations.
 */
export function endTimeDerivatives(
  field: Field,
  t0: number,
  y0: Float64Array,
  p: Float64Array,
  dy0: Float64Array,
  times: Float64Array,
  outputs: Float64Array,
  g: Float64Array,
): { dt0: number; dt1: number } {
  const d = field.dim;
  const fv = new Float64Array(d);
  field.f(t0, y0, p, fv);
  let dt0 = 0;
  for (let i = 0; i < d; i++) dt0 -= dy0[i] * fv[i];
  const K = times.length;
  if (K === 0) return { dt0, dt1: 0 }; // no outputs (a loss on events only)
  const last = outputs.subarray((K - 1) * d, K * d);
  field.f(times[K - 1], last, p, fv);
  let dt1 = 0;
  for (let i = 0; i < d; i++) dt1 += g[(K - 1) * d + i] * fv[i];
  return { dt0, dt1 };
}
