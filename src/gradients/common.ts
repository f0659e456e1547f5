/**
 * Pieces of the gradient driver (gradient.ts): checks on the problem, the loss gradient at the
 * outputs, and the end-time derivatives dL/dt0 and dL/dt1.
 */
import { InvalidArgumentError } from '../errors.ts';
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

/** Evaluates the loss and its gradient at the outputs; a non-finite loss is an error. */
export function evaluateLoss(loss: Loss, outputs: Float64Array, times: Float64Array, grad: Float64Array): number {
  const value = loss(outputs, times, grad);
  if (!Number.isFinite(value)) throw new InvalidArgumentError('loss value', value, 'a finite number');
  return value;
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
