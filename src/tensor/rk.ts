/**
 * One explicit Runge-Kutta step on tensor states, for every tableau of the float64 engine
 * (solvers/methods.ts): the same a, b, c, e, and the same scaled error norm. A state is a tuple
 * of tensors (the ODE block's feature map alone, or the adjoint's (y, a, dL/dp...)), so one
 * stepper serves the forward solve, the adjoint's augmented backward solve and naive's taped solve.
 *
 *   K_j = f(t + c_j h, y + h sum_{l<j} a_jl K_l),  y_new = y + h sum_j b_j K_j,  err = h sum_j e_j K_j
 *
 * h is a number, or a scalar tensor when gradients must flow through it (naive).
 */
import type { PreparedMethod } from '../solvers/methods.ts';
import { read, type Reading } from './reads.ts';
import { tf, type Tensor } from './tf.ts';

export type TensorTuple = Tensor[];

/** A vector field on tuples: f(t, y) with the parameters bound. Returns new tensors. */
export type TupleField = (t: number, y: readonly Tensor[]) => TensorTuple;

export interface TensorStep {
  /** The propagated solution y_new. */
  readonly next: TensorTuple;
  /** The error estimate h sum_j e_j K_j, or null for fixed-step methods. */
  readonly error: TensorTuple | null;
  /** f(t + h, y_new) when the method is FSAL (the next step's first stage), else null. */
  readonly lastStage: TensorTuple | null;
}

/**
 * One step from (t, y) of size h, given k0 = f(t, y). `tNumber` is t + h c_j's time for the
 * field; with a tensor h, `hNumber` is its value (fields see times as numbers).
 */
export function rkStep(
  method: PreparedMethod,
  f: TupleField,
  t: number,
  y: readonly Tensor[],
  h: number | Tensor,
  hNumber: number,
  k0: readonly Tensor[],
): TensorStep {
  const s = method.stages;
  const sd = method.denseStages;
  const K: (readonly Tensor[])[] = [k0];
  let lastInput: TensorTuple | null = null;
  for (let j = 1; j < s; j++) {
    const row = Array.from(method.a.subarray(j * sd, j * sd + j));
    const input = y.map((yc, c) => addScaled(yc, h, combination(row, K, c)));
    if (j === s - 1) lastInput = input;
    K.push(f(t + method.c[j] * hNumber, input));
  }
  // FSAL: the last stage's input row equals b, so that input is y_new itself.
  const b = Array.from(method.b.subarray(0, s));
  const next = method.fsal && lastInput ? lastInput : y.map((yc, c) => addScaled(yc, h, combination(b, K, c)));
  let error: TensorTuple | null = null;
  if (method.e) {
    const e = Array.from(method.e.subarray(0, s));
    error = y.map((_, c) => scale(combination(e, K, c), h));
  }
  return { next, error, lastStage: method.fsal ? [...K[s - 1]] : null };
}

/**
 * The error norm of one attempt as a scalar tensor: for each tuple component the RMS of
 * err_i / (atol + rtol max(|y_i|, |y_new,i|)) (Hairer, Norsett, Wanner, Solving ODEs I, eq.
 * II.4.11, as controller.ts), then the largest over the first `components` components. One step
 * size serves the whole batch, as in torchdiffeq.
 */
export function errorNormTensor(
  error: readonly Tensor[],
  y: readonly Tensor[],
  next: readonly Tensor[],
  rtol: number,
  atol: number,
  components = error.length,
): Tensor {
  const norms: Tensor[] = [];
  for (let c = 0; c < components; c++) {
    const scaleC = tf.add(atol, tf.mul(rtol, tf.maximum(tf.abs(y[c]), tf.abs(next[c]))));
    norms.push(tf.sqrt(tf.mean(tf.square(tf.div(error[c], scaleC)))));
  }
  return norms.length === 1 ? norms[0] : tf.max(tf.stack(norms));
}

/** RMS of v / (atol + rtol |y|), the largest over components: the initial-step norm (a scalar tensor). */
function scaledNorm(v: readonly Tensor[], y: readonly Tensor[], rtol: number, atol: number, components: number): Tensor {
  return tf.tidy(() => {
    const norms: Tensor[] = [];
    for (let c = 0; c < components; c++) {
      const r = tf.div(v[c], tf.add(atol, tf.mul(rtol, tf.abs(y[c]))));
      norms.push(tf.sqrt(tf.mean(tf.square(r))));
    }
    return norms.length === 1 ? norms[0] : tf.max(tf.stack(norms));
  });
}

/**
 * Hairer's starting step (Solving ODEs I, p. 169; the same algorithm as controller.ts's
 * initialStepSize) on tensors: one f evaluation besides f0. Returns a positive magnitude. A
 * generator that reads its three norms through the driver (reads.ts).
 */
export function* initialStepTensor(
  f: TupleField,
  t0: number,
  y0: readonly Tensor[],
  f0: readonly Tensor[],
  direction: number,
  order: number,
  rtol: number,
  atol: number,
  components = y0.length,
): Reading<number> {
  const d0 = yield* read(scaledNorm(y0, y0, rtol, atol, components));
  const d1 = yield* read(scaledNorm(f0, y0, rtol, atol, components));
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  const diffNorm = tf.tidy(() => {
    const y1 = y0.map((yc, c) => tf.add(yc, tf.mul(f0[c], direction * h0)));
    const f1 = f(t0 + direction * h0, y1);
    return scaledNorm(f1.map((fc, c) => tf.sub(fc, f0[c])), y0, rtol, atol, components);
  });
  const d2 = (yield* read(diffNorm)) / h0;
  const dmax = Math.max(d1, d2);
  const h1 = dmax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / dmax, 1 / (order + 1));
  return Math.min(100 * h0, h1);
}

/** sum_l w_l K_l[c], skipping zero weights; null when every weight is zero. */
function combination(weights: readonly number[], K: readonly (readonly Tensor[])[], c: number): Tensor | null {
  let acc: Tensor | null = null;
  for (let l = 0; l < weights.length; l++) {
    const w = weights[l];
    if (w === 0) continue;
    const term = w === 1 ? K[l][c] : tf.mul(K[l][c], w);
    acc = acc ? tf.add(acc, term) : term;
  }
  return acc;
}

function scale(v: Tensor | null, h: number | Tensor): Tensor {
  if (v === null) throw new Error('rk: an error-weight row of zeros');
  return tf.mul(v, h);
}

/** y + h v, or y itself when v is null (a stage whose a-row is all zeros). */
function addScaled(y: Tensor, h: number | Tensor, v: Tensor | null): Tensor {
  return v === null ? y : tf.add(y, tf.mul(v, h));
}
