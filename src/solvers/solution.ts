/**
 * The solution object solve() returns (docs/events.md): the states at the output times, or at
 * every accepted step ('steps'), or a dense solution whose at(t) evaluates each step's own
 * interpolant ('dense': the method's continuous extension, cubic Hermite for methods without
 * one; methods.ts), as scipy's sol.sol(t) and diffrax's sol.evaluate(t) do. Events that occurred
 * come with it.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { DenseStep, EventRecord } from './events.ts';
import type { SolutionStats } from './stats.ts';
import { denseWeights, type PreparedMethod } from './methods.ts';

export interface Solution {
  /** The output times (save: times), or the accepted steps' ends with t0 first ('steps', 'dense'). */
  readonly t: Float64Array;
  /** States at t, row-major: y[k * dim + i] is component i at t[k]. */
  readonly y: Float64Array;
  /** The same arrays under the names scipy and diffrax users look for. */
  readonly ts: Float64Array;
  readonly ys: Float64Array;
  readonly dim: number;
  readonly method: string;
  readonly stats: SolutionStats;
  /** Events in time order (empty without events). */
  readonly events: readonly EventRecord[];
  /** A terminal event ended the solve (then t ends at its time). */
  readonly terminated: boolean;
  /**
   * The dense solution at t (one state) or at each of many times (rows), from the interpolant of
   * the step containing t. Only with save: 'dense'. At the time of an event with a reset, the
   * state after the reset.
   */
  at(t: number): Float64Array;
  at(t: ArrayLike<number>): Float64Array;
}

/** Grows by doubling; `data` holds `length` numbers. */
class Growable {
  data: Float64Array;
  length = 0;
  constructor(capacity = 64) {
    this.data = new Float64Array(capacity);
  }
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Float64Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(v: number): void {
    this.reserve(1);
    this.data[this.length++] = v;
  }
  pushVector(v: Float64Array, n: number): void {
    this.reserve(n);
    const data = this.data;
    const base = this.length;
    for (let i = 0; i < n; i++) data[base + i] = v[i];
    this.length += n;
  }
  /** The numbers held, as a view (no copy: the recorder is not used after the solve). */
  view(): Float64Array {
    return new Float64Array(this.data.buffer, 0, this.length);
  }
}

/**
 * Keeps every accepted step for a solve with save: 'steps' (its end) or 'dense' (also its start,
 * size and dense-output stages). The integrator calls it once per accepted step.
 */
export class StepRecorder {
  readonly ts = new Growable();
  readonly ys: Growable;
  /** Dense: per step its start t, signed size h, start state and denseStages stages. */
  readonly stepT = new Growable();
  readonly stepH = new Growable();
  readonly stepY: Growable;
  readonly stepK: Growable;

  constructor(readonly dim: number, readonly method: PreparedMethod, readonly dense: boolean) {
    this.ys = new Growable(64 * dim);
    this.stepY = new Growable(dense ? 64 * dim : 1);
    this.stepK = new Growable(dense ? 64 * dim * method.denseStages : 1);
  }

  start(t: number, y: Float64Array): void {
    this.ts.push(t);
    this.ys.pushVector(y, this.dim);
  }

  /** An accepted step of `step`, ending (possibly cut by an event) at (tEnd, yEnd). */
  record(step: DenseStep, tEnd: number, yEnd: Float64Array): void {
    const d = this.dim;
    this.ts.push(tEnd);
    this.ys.pushVector(yEnd, d);
    if (!this.dense) return;
    step.ensureDense();
    this.stepT.push(step.t);
    this.stepH.push(step.h);
    this.stepY.pushVector(step.y, d);
    for (let j = 0; j < this.method.denseStages; j++) this.stepK.pushVector(step.stages[j], d);
  }

  /** The solution object of the recorded solve. */
  solution(method: string, stats: SolutionStats, events: readonly EventRecord[], terminated: boolean): Solution {
    const ts = this.ts.view();
    const ys = this.ys.view();
    const dense = this.dense
      ? new DenseInterpolant(this.method, this.dim, this.stepT.view(), this.stepH.view(), ts, this.stepY.view(), this.stepK.view())
      : null;
    return makeSolution(ts, ys, this.dim, method, stats, events, terminated, dense);
  }
}

/** The piecewise interpolant of a dense solve: one polynomial per accepted step. */
export class DenseInterpolant {
  private readonly w: Float64Array;
  private readonly dir: number;

  constructor(
    readonly method: PreparedMethod,
    readonly dim: number,
    /** Start time and signed size of each step; ends[i + 1] is where step i ends (cut by an event or not). */
    readonly stepT: Float64Array,
    readonly stepH: Float64Array,
    readonly ends: Float64Array,
    readonly stepY: Float64Array,
    readonly stepK: Float64Array,
  ) {
    this.w = new Float64Array(method.denseStages);
    const n = stepT.length;
    this.dir = n > 0 && stepH[0] < 0 ? -1 : 1;
  }

  /** out[offset..offset+dim) <- the solution at t. */
  evaluate(t: number, out: Float64Array, offset: number, name: string): void {
    const { dim: d, stepT, stepH, ends, dir } = this;
    const n = stepT.length;
    const first = ends[0];
    const last = ends[ends.length - 1];
    if (!(dir * (t - first) >= 0 && dir * (last - t) >= 0)) {
      throw new InvalidArgumentError(name, t, `a time in the solved span [${Math.min(first, last)}, ${Math.max(first, last)}]`);
    }
    if (n === 0) {
      for (let c = 0; c < d; c++) out[offset + c] = this.stepY[c];
      return;
    }
    // The last step whose start is at or before t (in the direction of integration).
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (dir * (stepT[mid] - t) <= 0) lo = mid;
      else hi = mid - 1;
    }
    const i = lo;
    const h = stepH[i];
    const theta = (t - stepT[i]) / h;
    const sd = this.method.denseStages;
    denseWeights(this.method, theta, this.w);
    const y = this.stepY;
    const K = this.stepK;
    for (let c = 0; c < d; c++) out[offset + c] = y[i * d + c];
    for (let j = 0; j < sd; j++) {
      const wj = h * this.w[j];
      if (wj === 0) continue;
      const base = (i * sd + j) * d;
      for (let c = 0; c < d; c++) out[offset + c] += wj * K[base + c];
    }
  }
}

/** Builds the solution object (with at() when `dense` is given). */
export function makeSolution(
  t: Float64Array,
  y: Float64Array,
  dim: number,
  method: string,
  stats: SolutionStats,
  events: readonly EventRecord[],
  terminated: boolean,
  dense: DenseInterpolant | null,
): Solution {
  function at(time: number): Float64Array;
  function at(times: ArrayLike<number>): Float64Array;
  function at(time: number | ArrayLike<number>): Float64Array {
    if (dense === null) {
      throw new InvalidArgumentError('save', 'not dense', "save: 'dense' in the solve options (at(t) evaluates the dense solution)");
    }
    if (typeof time === 'number') {
      const out = new Float64Array(dim);
      dense.evaluate(time, out, 0, 't');
      return out;
    }
    const n = time.length;
    const out = new Float64Array(n * dim);
    for (let k = 0; k < n; k++) dense.evaluate(time[k], out, k * dim, `t[${k}]`);
    return out;
  }
  return { t, y, ts: t, ys: y, dim, method, stats, events, terminated, at };
}
