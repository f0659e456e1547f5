/**
 * The one generic explicit Runge-Kutta stepper: stage inputs, stages and weighted sums over a
 * prepared tableau. Stage vectors live in caller-owned workspaces; nothing here allocates per
 * step.
 *
 * Speed (scripts/bench/01-solver.ts measures the loop against a hand-written Dopri5): V8 checks
 * each typed-array access inside a loop again (map, bounds), so the cost is set by the number of
 * passes over the components. Weighted sums therefore take the nonzero terms only (the sparse
 * rows of methods.ts) and add up to six of them per pass; the error estimate and its norm share
 * one pass (weightedSumNorm). The terms of a pass are added in stage order, left to right, so
 * every component is rounded exactly as by one pass per term (out += w_l K_l, l = 0, 1, ...):
 * the results are bitwise those of the plain loops.
 */
import type { Field } from '../fields/field.ts';
import { errorNorm, scaledError } from './controller.ts';
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
  addTerms(method.aCol, method.aVal, method.aStart[j], method.aStart[j + 1], h, y, K, out);
}

/**
 * Computes stages from..to-1 of the step (t, y, h) into K. Stage 0 is f(t, y) and may already be
 * present (FSAL, or the caller evaluated it), hence `from`. The stage inputs go through
 * `stageState`, or are kept, one per stage, in `inputs` when it is given (for ACA, whose
 * backward pass needs them).
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
  inputs?: readonly Float64Array[],
): void {
  const c = method.c;
  for (let j = from; j < to; j++) {
    if (j === 0) {
      field.f(t, y, p, K[0]);
      continue;
    }
    const Y = inputs ? inputs[j] : stageState;
    stageInput(method, j, y, h, K, Y);
    field.f(t + c[j] * h, Y, p, K[j]);
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
  const m = gatherTerms(w, count, h);
  addTerms(scratchCol, scratchVal, 0, m, h, y, K, out);
}

/** out <- h sum_j w_j K_j (an error vector) over the first `count` stages. */
export function weightedSum(
  w: Float64Array,
  count: number,
  h: number,
  K: readonly Float64Array[],
  out: Float64Array,
): void {
  const m = gatherTerms(w, count, h);
  // From +0, as a zero-filled vector would be (0 + (-0) is +0).
  addTerms(scratchCol, scratchVal, 0, m, h, zeros(out.length), K, out);
}

/**
 * A step's error estimate and its norm: out <- h sum_k val[k] K[col[k]] (the nonzero error
 * weights, as weightedSum) and returns errorNorm(out, y, yNew, rtol, atol) (controller.ts), bit
 * for bit. In the common case, four to seven terms (dopri5 has six, tsit5 seven) and the same
 * tolerances for every component (`uniform`), both happen in one pass over the components with
 * the tolerances as scalars, which saves re-reading vectors; otherwise it takes two passes.
 * stateSum, when given, receives sum_i yNew_i, finite only if every yNew_i is: the integrator's
 * check of the new state, without a pass of its own.
 */
export function weightedSumNorm(
  col: Int32Array,
  val: Float64Array,
  h: number,
  K: readonly Float64Array[],
  y: Float64Array,
  yNew: Float64Array,
  rtol: Float64Array,
  atol: Float64Array,
  uniform: boolean,
  out: Float64Array,
  stateSum: Float64Array | null = null,
): number {
  const m = col.length;
  const n = out.length;
  if (m < 4 || m > 7 || !uniform) {
    addTerms(col, val, 0, m, h, zeros(n), K, out);
    if (stateSum) {
      let probe = 0;
      for (let i = 0; i < n; i++) probe += yNew[i];
      stateSum[0] = probe;
    }
    return errorNorm(out, y, yNew, rtol, atol);
  }
  const rt = rtol[0];
  const at = atol[0];
  const w0 = h * val[0], K0 = K[col[0]];
  const w1 = h * val[1], K1 = K[col[1]];
  const w2 = h * val[2], K2 = K[col[2]];
  const w3 = h * val[3], K3 = K[col[3]];
  const w4 = m > 4 ? h * val[4] : 0, K4 = m > 4 ? K[col[4]] : out;
  const w5 = m > 5 ? h * val[5] : 0, K5 = m > 5 ? K[col[5]] : out;
  const w6 = m > 6 ? h * val[6] : 0, K6 = m > 6 ? K[col[6]] : out;
  let sum = 0;
  let probe = 0;
  // One loop per term count; each e starts from +0, as weightedSum's would (0 + (-0) is +0).
  if (m === 4) {
    for (let i = 0; i < n; i++) {
      const e = 0 + w0 * K0[i] + w1 * K1[i] + w2 * K2[i] + w3 * K3[i];
      out[i] = e;
      const yn = yNew[i];
      probe += yn;
      const r = scaledError(e, y[i], yn, rt, at);
      sum += r * r;
    }
  } else if (m === 5) {
    for (let i = 0; i < n; i++) {
      const e = 0 + w0 * K0[i] + w1 * K1[i] + w2 * K2[i] + w3 * K3[i] + w4 * K4[i];
      out[i] = e;
      const yn = yNew[i];
      probe += yn;
      const r = scaledError(e, y[i], yn, rt, at);
      sum += r * r;
    }
  } else if (m === 6) {
    for (let i = 0; i < n; i++) {
      const e = 0 + w0 * K0[i] + w1 * K1[i] + w2 * K2[i] + w3 * K3[i] + w4 * K4[i] + w5 * K5[i];
      out[i] = e;
      const yn = yNew[i];
      probe += yn;
      const r = scaledError(e, y[i], yn, rt, at);
      sum += r * r;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const e = 0 + w0 * K0[i] + w1 * K1[i] + w2 * K2[i] + w3 * K3[i] + w4 * K4[i] + w5 * K5[i] + w6 * K6[i];
      out[i] = e;
      const yn = yNew[i];
      probe += yn;
      const r = scaledError(e, y[i], yn, rt, at);
      sum += r * r;
    }
  }
  if (stateSum) stateSum[0] = probe;
  return Math.sqrt(sum / n);
}

/** Allocates a stage workspace: `count` vectors of length dim over one buffer. */
export function allocateStages(count: number, dim: number): Float64Array[] {
  // Views made with the constructor: TypedArray.prototype.subarray takes a slow generic path
  // (species lookup) that costs microseconds per solve.
  const buffer = new ArrayBuffer(count * dim * Float64Array.BYTES_PER_ELEMENT);
  const stages: Float64Array[] = [];
  for (let j = 0; j < count; j++) stages.push(new Float64Array(buffer, j * dim * Float64Array.BYTES_PER_ELEMENT, dim));
  return stages;
}

// The nonzero terms of a dense weight vector (combine, weightedSum), gathered for addTerms.
let scratchCol = new Int32Array(16);
let scratchVal = new Float64Array(16);

let zeroVector = new Float64Array(64);

/** A vector of at least n zeros (read-only by convention). */
function zeros(n: number): Float64Array {
  if (zeroVector.length < n) zeroVector = new Float64Array(n);
  return zeroVector;
}

/** Gathers the l < count with h w_l != 0 into scratchCol/scratchVal; returns their number. */
function gatherTerms(w: Float64Array, count: number, h: number): number {
  if (scratchCol.length < count) {
    scratchCol = new Int32Array(count);
    scratchVal = new Float64Array(count);
  }
  let m = 0;
  for (let l = 0; l < count; l++) {
    if (h * w[l] === 0) continue;
    scratchCol[m] = l;
    scratchVal[m++] = w[l];
  }
  return m;
}

/**
 * out <- src + sum_{k0 <= k < k1} (h val[k]) K[col[k]], up to six terms per pass over the
 * components (out may be src). Component i is rounded as ((src_i + t_0) + t_1) + ..., exactly as
 * by one pass per term, so results do not depend on the grouping.
 */
function addTerms(
  col: Int32Array,
  val: Float64Array,
  k0: number,
  k1: number,
  h: number,
  src: Float64Array,
  K: readonly Float64Array[],
  out: Float64Array,
): void {
  const n = out.length;
  if (k0 === k1) for (let i = 0; i < n; i++) out[i] = src[i];
  for (let k = k0; k < k1; k += 6) {
    const m = k1 - k;
    const w0 = h * val[k];
    const K0 = K[col[k]];
    if (m === 1) {
      for (let i = 0; i < n; i++) out[i] = src[i] + w0 * K0[i];
      return;
    }
    const w1 = h * val[k + 1];
    const K1 = K[col[k + 1]];
    if (m === 2) {
      for (let i = 0; i < n; i++) out[i] = src[i] + w0 * K0[i] + w1 * K1[i];
      return;
    }
    const w2 = h * val[k + 2];
    const K2 = K[col[k + 2]];
    if (m === 3) {
      for (let i = 0; i < n; i++) out[i] = src[i] + w0 * K0[i] + w1 * K1[i] + w2 * K2[i];
      return;
    }
    const w3 = h * val[k + 3];
    const K3 = K[col[k + 3]];
    if (m === 4) {
      for (let i = 0; i < n; i++) out[i] = src[i] + w0 * K0[i] + w1 * K1[i] + w2 * K2[i] + w3 * K3[i];
      return;
    }
    const w4 = h * val[k + 4];
    const K4 = K[col[k + 4]];
    if (m === 5) {
      for (let i = 0; i < n; i++) {
        out[i] = src[i] + w0 * K0[i] + w1 * K1[i] + w2 * K2[i] + w3 * K3[i] + w4 * K4[i];
      }
      return;
    }
    const w5 = h * val[k + 5];
    const K5 = K[col[k + 5]];
    for (let i = 0; i < n; i++) {
      out[i] = src[i] + w0 * K0[i] + w1 * K1[i] + w2 * K2[i] + w3 * K3[i] + w4 * K4[i] + w5 * K5[i];
    }
    src = out;
  }
}
