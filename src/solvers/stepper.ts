/**
 * The one generic explicit Runge-Kutta stepper: stage inputs, stages and weighted sums over a
 * prepared tableau. Stage vectors live in caller-owned workspaces; nothing here allocates.
 */
import type { Field } from '../fields/field.ts';
import type { PreparedMethod } from './methods.ts';

/** out <- y + h sum_{l<j} a_jl K_l  (the input of stage j). */
export function stageInput(
  method: PreparedMethod,
  j: number,
  y: Float64Array,
  h: number,
  K: readonly Float64Array[],
  out: Float64Array,
): void {
  const n = y.length;
  const row = j * method.denseStages;
  out.set(y);
  for (let l = 0; l < j; l++) {
    const w = h * method.a[row + l];
    if (w === 0) continue;
    const Kl = K[l];
    for (let i = 0; i < n; i++) out[i] += w * Kl[i];
  }
}

/**
 * Computes stages from..to-1 of the step (t, y, h) into K. Stage 0 is f(t, y) and may already be
 * present (FSAL, or the caller evaluated it), hence `from`.
 */
export function computeStages(
  method: PreparedMethod,
  field: Field,
  t: number,
  y: Float64Array,
  h: number,
  p: Float64Array,
  K: readonly Float64Array[],
  stageState: Float64Array,
  from: number,
  to: number,
): void {
  const c = method.c;
  for (let j = from; j < to; j++) {
    if (j === 0) {
      field.f(t, y, p, K[0]);
      continue;
    }
    stageInput(method, j, y, h, K, stageState);
    field.f(t + c[j] * h, stageState, p, K[j]);
  }
}

/** out <- y + h sum_j w_j K_j over the first `count` stages. */
export function combine(
  w: Float64Array,
  count: number,
  y: Float64Array,
  h: number,
  K: readonly Float64Array[],
  out: Float64Array,
): void {
  const n = y.length;
  out.set(y);
  for (let j = 0; j < count; j++) {
    const wj = h * w[j];
    if (wj === 0) continue;
    const Kj = K[j];
    for (let i = 0; i < n; i++) out[i] += wj * Kj[i];
  }
}

/** out <- h sum_j w_j K_j (an error vector) over the first `count` stages. */
export function weightedSum(
  w: Float64Array,
  count: number,
  h: number,
  K: readonly Float64Array[],
  out: Float64Array,
): void {
  out.fill(0);
  const n = out.length;
  for (let j = 0; j < count; j++) {
    const wj = h * w[j];
    if (wj === 0) continue;
    const Kj = K[j];
    for (let i = 0; i < n; i++) out[i] += wj * Kj[i];
  }
}

/** Allocates a stage workspace: `count` vectors of length dim over one buffer. */
export function allocateStages(count: number, dim: number): Float64Array[] {
  const buffer = new Float64Array(count * dim);
  return Array.from({ length: count }, (_, j) => buffer.subarray(j * dim, (j + 1) * dim));
}
