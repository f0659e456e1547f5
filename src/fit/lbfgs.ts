/**
 * L-BFGS (Nocedal and Wright, Numerical Optimization, 2nd ed., Algorithm 7.4 two-loop recursion
 * and 7.5) with box bounds by projection and a backtracking line search.
 *
 * One call of step() is one iteration: from x (with f and g there) it takes the direction
 * d = -H g, with H the limited-memory inverse-Hessian estimate scaled by gamma = s'y / y'y of the
 * newest pair (N&W eq. 7.20); the first iteration (or after a reset) takes d = -g scaled so that
 * |d|_2 <= initialStep.
 *
 * Bounds: x stays in [lower, upper]. Components at a bound whose direction points outward are
 * dropped from d, and trial points are projected onto the box, P(x + a d) (a projected-search
 * variant in the spirit of Bertsekas's projected Newton methods). If the result is not a descent
 * direction the history is cleared and the projected steepest descent is used.
 *
 * Line search ("More-Thuente lite"): backtracking from a = 1 until the Armijo condition
 * f(x_a) <= f + c1 g.(x_a - x) holds, each new a the minimiser of the quadratic through f, the
 * slope g.d and f(x_a) (N&W eq. 3.57), safeguarded to [0.1 a, 0.5 a]. A trial value that is not
 * finite (a solver failure, reported as Infinity) halves a. A pair (s, y) enters the history
 * only if s'y > 1e-10 |s| |y| (curvature), which keeps H positive definite without a Wolfe
 * search.
 */
import { InvalidArgumentError } from '../errors.ts';

export interface ObjectiveValue {
  readonly f: number;
  readonly g: Float64Array;
}

/** f and its gradient at x; may be async (a worker pool) and must not keep x. */
export type Objective = (x: Float64Array) => ObjectiveValue | Promise<ObjectiveValue>;

export interface LBFGSOptions {
  /** Number of (s, y) pairs kept (default 10). */
  readonly memory?: number;
  /** Length bound of the first step, |d|_2 (default 1). */
  readonly initialStep?: number;
  /** Armijo constant (default 1e-4). */
  readonly c1?: number;
  /** Trial points per line search before giving up (default 30). */
  readonly maxLineSearch?: number;
  /** Box bounds (default none); ±Infinity for an open side. */
  readonly lower?: ArrayLike<number>;
  readonly upper?: ArrayLike<number>;
}

export interface LBFGSStep {
  readonly f: number;
  readonly g: Float64Array;
  /** Objective evaluations in this step. */
  readonly evaluations: number;
  /** The accepted a (0 if none). */
  readonly stepLength: number;
  /** 'ok', or 'no-progress' when no trial point decreased f enough (x is then unchanged). */
  readonly status: 'ok' | 'no-progress';
}

/** The history as JSON, for checkpoints. */
export interface LBFGSState {
  readonly kind: 'lbfgs';
  readonly s: number[][];
  readonly y: number[][];
}

export class LBFGS {
  readonly memory: number;
  readonly initialStep: number;
  readonly c1: number;
  readonly maxLineSearch: number;
  readonly lower?: Float64Array;
  readonly upper?: Float64Array;
  private s: Float64Array[] = [];
  private y: Float64Array[] = [];

  constructor(options: LBFGSOptions = {}) {
    this.memory = options.memory ?? 10;
    this.initialStep = options.initialStep ?? 1;
    this.c1 = options.c1 ?? 1e-4;
    this.maxLineSearch = options.maxLineSearch ?? 30;
    if (!Number.isInteger(this.memory) || this.memory < 1) throw new InvalidArgumentError('memory', this.memory, 'an integer >= 1');
    if (!(this.initialStep > 0)) throw new InvalidArgumentError('initialStep', this.initialStep, 'a number > 0');
    if (!(this.c1 > 0 && this.c1 < 1)) throw new InvalidArgumentError('c1', this.c1, 'a number in (0, 1)');
    if (options.lower) this.lower = Float64Array.from(options.lower);
    if (options.upper) this.upper = Float64Array.from(options.upper);
  }

  /** Clears the history (the next step is steepest descent). */
  reset(): void {
    this.s = [];
    this.y = [];
  }

  /**
   * One iteration from x, where f and g are the objective's value and gradient. On success x is
   * moved in place and the new f and g are returned.
   */
  async step(x: Float64Array, f: number, g: Float64Array, objective: Objective): Promise<LBFGSStep> {
    const n = x.length;
    if (g.length !== n) throw new InvalidArgumentError('g', `length ${g.length}`, `length ${n} (as x)`);
    let d = this.direction(g);
    this.freezeAtBounds(x, d);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (bounds cut it, or stale curvature): start over from -g.
      this.reset();
      d = this.direction(g);
      this.freezeAtBounds(x, d);
      slope = dot(g, d);
      if (!(slope < 0)) return { f, g, evaluations: 0, stepLength: 0, status: 'no-progress' };
    }

    const trial = new Float64Array(n);
    let a = 1;
    for (let evaluations = 1; evaluations <= this.maxLineSearch; evaluations++) {
      for (let i = 0; i < n; i++) trial[i] = this.project(i, x[i] + a * d[i]);
      let moved = 0;
      for (let i = 0; i < n; i++) moved += g[i] * (trial[i] - x[i]);
      const value = await objective(trial);
      const fa = value.f;
      if (Number.isFinite(fa) && fa <= f + this.c1 * moved) {
        this.remember(x, trial, g, value.g);
        x.set(trial);
        return { f: fa, g: Float64Array.from(value.g), evaluations, stepLength: a, status: 'ok' };
      }
      // Quadratic through phi(0) = f, phi'(0) = slope, phi(a) = fa, safeguarded.
      let next = 0.5 * a;
      if (Number.isFinite(fa)) {
        const q = (-slope * a * a) / (2 * (fa - f - slope * a));
        if (Number.isFinite(q)) next = Math.min(0.5 * a, Math.max(0.1 * a, q));
      }
      a = next;
    }
    return { f, g, evaluations: this.maxLineSearch, stepLength: 0, status: 'no-progress' };
  }

  state(): LBFGSState {
    return { kind: 'lbfgs', s: this.s.map((v) => Array.from(v)), y: this.y.map((v) => Array.from(v)) };
  }

  restore(state: LBFGSState): void {
    if (state?.kind !== 'lbfgs' || state.s.length !== state.y.length) {
      throw new InvalidArgumentError('state', state, 'an LBFGSState from LBFGS.state()');
    }
    this.s = state.s.map((v) => Float64Array.from(v));
    this.y = state.y.map((v) => Float64Array.from(v));
  }

  /** d = -H g by the two-loop recursion (N&W Algorithm 7.4). */
  private direction(g: Float64Array): Float64Array {
    const n = g.length;
    const d = Float64Array.from(g, (v) => -v);
    const k = this.s.length;
    if (k === 0) {
      const norm = Math.sqrt(dot(g, g));
      const scale = norm > this.initialStep ? this.initialStep / norm : 1;
      for (let i = 0; i < n; i++) d[i] *= scale;
      return d;
    }
    const alpha = new Float64Array(k);
    const rho = this.s.map((s, j) => 1 / dot(this.y[j], s));
    for (let j = k - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(this.s[j], d);
      axpy(-alpha[j], this.y[j], d);
    }
    const sNew = this.s[k - 1];
    const yNew = this.y[k - 1];
    const gamma = dot(sNew, yNew) / dot(yNew, yNew);
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let j = 0; j < k; j++) {
      const beta = rho[j] * dot(this.y[j], d);
      axpy(alpha[j] - beta, this.s[j], d);
    }
    return d;
  }

  private freezeAtBounds(x: Float64Array, d: Float64Array): void {
    for (let i = 0; i < x.length; i++) {
      if ((this.lower && x[i] <= this.lower[i] && d[i] < 0) || (this.upper && x[i] >= this.upper[i] && d[i] > 0)) d[i] = 0;
    }
  }

  private project(i: number, v: number): number {
    if (this.lower && v < this.lower[i]) return this.lower[i];
    if (this.upper && v > this.upper[i]) return this.upper[i];
    return v;
  }

  private remember(x: Float64Array, xNew: Float64Array, g: Float64Array, gNew: Float64Array): void {
    const s = Float64Array.from(xNew, (v, i) => v - x[i]);
    const y = Float64Array.from(gNew, (v, i) => v - g[i]);
    const sy = dot(s, y);
    if (!(sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y)))) return;
    this.s.push(s);
    this.y.push(y);
    if (this.s.length > this.memory) {
      this.s.shift();
      this.y.shift();
    }
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i] * b[i];
  return acc;
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += alpha * x[i];
}
