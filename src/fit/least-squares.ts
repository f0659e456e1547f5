/**
 * Levenberg-Marquardt for a loss that is a sum of squared residuals, L(x) = |r(x)|^2, in the
 * manner of MINPACK's lmder (More, "The Levenberg-Marquardt algorithm: implementation and
 * theory", Lecture Notes in Mathematics 630, 1978) and scipy.optimize.least_squares(method='lm',
 * x_scale='jac'):
 *
 * - Scaling: D_j = max over the iterations of |J_:,j| (More's eq. 6.3, MINPACK mode 1), so the
 *   fitted values may be in any units (AU and days, masses of 1e-3) without the user rescaling.
 * - Step: p minimises |J p + r|^2 + lambda |D p|^2, solved through the QR of J and a second small
 *   QR of [R; sqrt(lambda) D] (More sec. 3; never the normal equations, whose condition is the
 *   square of J's), lambda chosen so that |D p| fits the trust radius (More's lmpar); the radius
 *   starts at factor |D x0| (MINPACK's `factor`; here 0.1 by default, not MINPACK's 100: an ODE
 *   fit has local minima, and from a rough start a full Gauss-Newton step often lands in another
 *   basin: on the project's Lotka-Volterra data factor 1 (scipy 'lm' too) ends at a local minimum
 *   of loss 544, factor 0.1 at the global one, 0.162) and follows the gain ratio
 *   rho = actual / predicted reduction as in MINPACK.
 * - Bounds: the trial point is projected onto the box and the prediction is made for the step
 *   actually taken; a value at a bound whose gradient points outward takes no step (projected
 *   Gauss-Newton in the spirit of Bertsekas, 1982).
 * - Stopping (scipy's definitions, relative so that units do not matter):
 *     gtol: max_j |J_j . r| / (|J_j| |r|) <= gtol (the cosine of r with each column, MINPACK's gtol);
 *     ftol: actual and predicted relative reductions both <= ftol in an accepted step;
 *     xtol: |D p| <= xtol (xtol + |D x|).
 *   Each of these is only a proposal: fit.ts confirms that the point is a minimum (certificate()
 *   below) before it calls the fit converged.
 */
import { InvalidArgumentError } from '../errors.ts';
import { invertUpper, qr, solveUpper, symmetricEigen } from './linalg.ts';

/** Residuals and their Jacobian (m x n, row-major) at a point. */
export interface ResidualValue {
  readonly r: Float64Array;
  readonly J: Float64Array;
}

export type ResidualObjective = (x: Float64Array) => ResidualValue | Promise<ResidualValue>;

export interface LeastSquaresOptions {
  readonly ftol?: number;
  readonly xtol?: number;
  readonly gtol?: number;
  /** First trust radius as a multiple of |D x0| (MINPACK's factor; default 0.1). */
  readonly factor?: number;
  /** Trial points per iteration before the step is declared unable to move (default 30). */
  readonly maxTrials?: number;
  readonly lower?: ArrayLike<number>;
  readonly upper?: ArrayLike<number>;
}

/** scipy.optimize.least_squares's defaults. */
export const LM_DEFAULTS = { ftol: 1e-8, xtol: 1e-8, gtol: 1e-8, factor: 0.1 } as const;

export type LMStatus = 'ok' | 'gtol' | 'ftol' | 'xtol' | 'no-progress';

export interface LMStep {
  readonly status: LMStatus;
  /** The residuals and Jacobian at x after the step (the old ones when x did not move). */
  readonly value: ResidualValue;
  readonly cost: number;
  readonly trials: number;
}

export interface LMState {
  readonly kind: 'lm';
  readonly delta: number;
  readonly lambda: number;
  readonly D: number[];
}

export class LevenbergMarquardt {
  readonly ftol: number;
  readonly xtol: number;
  readonly gtol: number;
  readonly maxTrials: number;
  readonly factor: number;
  readonly lower?: Float64Array;
  readonly upper?: Float64Array;
  /** Trust radius in D's norm (0: not yet set) and the last Levenberg parameter. */
  private delta = 0;
  private lambda = 0;
  private D: Float64Array = new Float64Array(0);

  constructor(options: LeastSquaresOptions = {}) {
    this.ftol = options.ftol ?? LM_DEFAULTS.ftol;
    this.xtol = options.xtol ?? LM_DEFAULTS.xtol;
    this.gtol = options.gtol ?? LM_DEFAULTS.gtol;
    this.maxTrials = options.maxTrials ?? 30;
    this.factor = options.factor ?? LM_DEFAULTS.factor;
    if (!(this.factor > 0 && Number.isFinite(this.factor))) throw new InvalidArgumentError('factor', this.factor, 'a finite number > 0');
    for (const key of ['ftol', 'xtol', 'gtol'] as const) {
      if (!(this[key] >= 0 && this[key] < 1)) throw new InvalidArgumentError(key, this[key], 'a number in [0, 1)');
    }
    if (options.lower) this.lower = Float64Array.from(options.lower);
    if (options.upper) this.upper = Float64Array.from(options.upper);
  }

  /** The column scales in use (More's D), for the report and the other optimizers. */
  get scales(): Float64Array {
    return this.D;
  }

  /**
   * One iteration from x, where `value` holds r and J. On an accepted step x moves in place. A
   * trial whose evaluation fails (a solver error) should come back with non-finite residuals.
   */
  async step(x: Float64Array, value: ResidualValue, objective: ResidualObjective): Promise<LMStep> {
    const n = x.length;
    const m = value.r.length;
    if (value.J.length !== m * n) throw new InvalidArgumentError('J', `length ${value.J.length}`, `${m} x ${n}`);
    const { r, J } = value;
    const cost = sumSquares(r);
    this.updateScales(J, m, n);
    const active = this.activeBounds(x, J, r, m, n);
    if (gradientCosine(J, r, m, n, active) <= this.gtol) return { status: 'gtol', value, cost, trials: 0 };

    // J with the columns held at a bound zeroed: they take no step.
    const Jf = Float64Array.from(J);
    for (let j = 0; j < n; j++) if (active[j]) for (let i = 0; i < m; i++) Jf[i * n + j] = 0;
    const { R, qtb } = qr(Jf, m, n, r);
    const xNorm = scaledNorm(this.D, x);
    // MINPACK's first trust radius, factor |D x0| (More 1978, sec. 6).
    if (!(this.delta > 0)) this.delta = this.factor * (xNorm > 0 ? xNorm : Math.max(Math.sqrt(cost), 1));
    const gs = gradientOf(Jf, r, m, n);
    let gsNorm = 0;
    for (let j = 0; j < n; j++) gsNorm += (gs[j] / this.D[j]) ** 2;
    gsNorm = Math.sqrt(gsNorm);
    const trial = new Float64Array(n);
    const taken = new Float64Array(n);
    const Jp = new Float64Array(m);
    for (let trials = 1; trials <= this.maxTrials; trials++) {
      const { p, lambda } = trustRegionStep(R, qtb, this.D, this.delta, gsNorm, n, active);
      this.lambda = lambda;
      for (let j = 0; j < n; j++) {
        trial[j] = this.project(j, x[j] + p[j]);
        taken[j] = trial[j] - x[j];
      }
      const stepNorm = scaledNorm(this.D, taken);
      // Predicted: |r|^2 - |r + J p|^2 for the step actually taken (after projection).
      for (let i = 0; i < m; i++) {
        let s = r[i];
        for (let j = 0; j < n; j++) s += J[i * n + j] * taken[j];
        Jp[i] = s;
      }
      const predicted = cost - sumSquares(Jp);
      if (stepNorm === 0 || !(predicted > 0)) {
        // Nothing left to predict: at a minimum of the linear model (or all steps blocked by bounds).
        return { status: stepNorm <= this.xtol * (this.xtol + xNorm) ? 'xtol' : 'no-progress', value, cost, trials: trials - 1 };
      }
      const next = await objective(trial);
      const trialCost = sumSquares(next.r);
      const actual = cost - trialCost;
      const rho = Number.isFinite(trialCost) ? actual / predicted : -Infinity;
      // MINPACK lmder's radius update (More 1978, sec. 4).
      if (rho < 0.25) this.delta = 0.25 * Math.min(this.delta, stepNorm);
      else if (rho >= 0.75 || lambda === 0) this.delta = Math.max(this.delta, 2 * stepNorm);
      if (rho >= 1e-4) {
        x.set(trial);
        const status: LMStatus =
          Math.abs(actual) <= this.ftol * cost && predicted <= this.ftol * cost && rho <= 2
            ? 'ftol'
            : stepNorm <= this.xtol * (this.xtol + xNorm)
              ? 'xtol'
              : 'ok';
        return { status, value: next, cost: trialCost, trials };
      }
      if (this.delta <= this.xtol * (this.xtol + xNorm)) return { status: 'xtol', value, cost, trials };
    }
    return { status: 'no-progress', value, cost, trials: this.maxTrials };
  }

  state(): LMState {
    return { kind: 'lm', delta: this.delta, lambda: this.lambda, D: Array.from(this.D) };
  }

  restore(state: LMState): void {
    if (state?.kind !== 'lm' || !Array.isArray(state.D)) throw new InvalidArgumentError('state', state, 'an LMState from LevenbergMarquardt.state()');
    this.delta = state.delta;
    this.lambda = state.lambda;
    this.D = Float64Array.from(state.D);
  }

  private updateScales(J: Float64Array, m: number, n: number): void {
    if (this.D.length !== n) this.D = new Float64Array(n);
    const norms = columnNorms(J, m, n);
    for (let j = 0; j < n; j++) this.D[j] = Math.max(this.D[j], norms[j]);
    // A column that has been zero so far (a value the data does not see yet) keeps scale 1.
    for (let j = 0; j < n; j++) if (this.D[j] === 0) this.D[j] = 1;
  }

  /** Values at a bound whose descent direction (-J^T r) points out of the box. */
  private activeBounds(x: Float64Array, J: Float64Array, r: Float64Array, m: number, n: number): boolean[] {
    return activeSet(x, J, r, m, n, this.lower, this.upper);
  }

  private project(j: number, v: number): number {
    if (this.lower && v < this.lower[j]) return this.lower[j];
    if (this.upper && v > this.upper[j]) return this.upper[j];
    return v;
  }
}

/** The entries held at a bound: at it, with the gradient J^T r pushing outward. */
export function activeSet(
  x: ArrayLike<number>,
  J: Float64Array,
  r: Float64Array,
  m: number,
  n: number,
  lower?: ArrayLike<number>,
  upper?: ArrayLike<number>,
): boolean[] {
  const g = gradientOf(J, r, m, n);
  return Array.from({ length: n }, (_, j) => (lower !== undefined && x[j] <= lower[j] && g[j] > 0) || (upper !== undefined && x[j] >= upper[j] && g[j] < 0));
}

/**
 * The Levenberg-Marquardt step for trust radius delta (More 1978, sec. 5, "lmpar"): the
 * Gauss-Newton step when |D p| <= delta, else p(lambda) with |D p(lambda)| within 10% of delta,
 * lambda found by bisection on log lambda in (0, |D^-1 J^T r| / delta] (More's upper bound).
 */
function trustRegionStep(
  R: Float64Array,
  qtb: Float64Array,
  D: Float64Array,
  delta: number,
  gsNorm: number,
  n: number,
  active: boolean[],
): { p: Float64Array; lambda: number } {
  const norm = (p: Float64Array) => scaledNorm(D, p);
  let p = dampedStep(R, qtb, D, 0, n, active);
  const gn = norm(p);
  if (Number.isFinite(gn) && gn <= 1.1 * delta && !hasZeroPivot(R, n, active)) return { p, lambda: 0 };
  let hi = gsNorm / delta;
  let lo = hi * 1e-16;
  let lambda = hi;
  for (let k = 0; k < 100; k++) {
    lambda = Math.sqrt(lo * hi);
    p = dampedStep(R, qtb, D, lambda, n, active);
    const size = norm(p);
    if (Math.abs(size - delta) <= 0.1 * delta) break;
    if (size > delta) lo = lambda;
    else hi = lambda;
    if (hi <= lo * (1 + 1e-12)) break;
  }
  return { p, lambda };
}

function hasZeroPivot(R: Float64Array, n: number, active: boolean[]): boolean {
  let largest = 0;
  for (let j = 0; j < n; j++) largest = Math.max(largest, Math.abs(R[j * n + j]));
  for (let j = 0; j < n; j++) if (!active[j] && !(Math.abs(R[j * n + j]) > 1e-14 * largest)) return true;
  return false;
}

/** p = argmin |J p + r|^2 + lambda |D p|^2 from J's QR (R, Q^T r), free columns only. */
function dampedStep(R: Float64Array, qtb: Float64Array, D: Float64Array, lambda: number, n: number, active: boolean[]): Float64Array {
  // Stack [R; sqrt(lambda) D] (2n x n) with right-hand side [-Q1^T r; 0] and solve by QR.
  const A = new Float64Array(2 * n * n);
  const b = new Float64Array(2 * n);
  const sl = Math.sqrt(lambda);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i * n + j] = R[i * n + j];
    b[i] = -qtb[i];
    A[(n + i) * n + i] = active[i] ? 1 : sl * D[i];
  }
  const { R: R2, qtb: b2 } = qr(A, 2 * n, n, b);
  const p = solveUpper(R2, n, b2);
  for (let j = 0; j < n; j++) if (active[j]) p[j] = 0;
  return p;
}

export function gradientOf(J: Float64Array, r: Float64Array, m: number, n: number): Float64Array {
  const g = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const ri = r[i];
    if (ri === 0) continue;
    for (let j = 0; j < n; j++) g[j] += J[i * n + j] * ri;
  }
  return g;
}

export function columnNorms(J: Float64Array, m: number, n: number): Float64Array {
  const s = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) s[j] += J[i * n + j] ** 2;
  return s.map(Math.sqrt);
}

/** max_j |J_j . r| / (|J_j| |r|) over the free columns: scipy's gtol measure (0 when r = 0). */
export function gradientCosine(J: Float64Array, r: Float64Array, m: number, n: number, active?: boolean[]): number {
  const rn = Math.sqrt(sumSquares(r));
  if (rn === 0) return 0;
  const g = gradientOf(J, r, m, n);
  const norms = columnNorms(J, m, n);
  let worst = 0;
  for (let j = 0; j < n; j++) {
    if (active?.[j] || norms[j] === 0) continue;
    worst = Math.max(worst, Math.abs(g[j]) / (norms[j] * rn));
  }
  return worst;
}

/**
 * Is x a minimum of |r|^2 to tolerance? The relative reduction that the full Gauss-Newton step
 * over the free values would bring, |Q1^T r|^2 / |r|^2 (the squared sine of the angle between r and
 * the free columns' span; invariant to the units of x), and the gradient cosine. A point where a
 * Gauss-Newton step could still lower the cost by more than ftol is not a minimum to ftol.
 */
export interface Certificate {
  /** |Q1^T r|^2 / |r|^2 over the free columns. */
  readonly gaussNewtonReduction: number;
  readonly gradientCosine: number;
  /** Free entries (not held at a bound). */
  readonly active: boolean[];
}

export function certificate(
  x: ArrayLike<number>,
  value: ResidualValue,
  lower?: ArrayLike<number>,
  upper?: ArrayLike<number>,
): Certificate {
  const n = x.length;
  const m = value.r.length;
  const active = activeSet(x, value.J, value.r, m, n, lower, upper);
  const cost = sumSquares(value.r);
  const Jf = Float64Array.from(value.J);
  for (let j = 0; j < n; j++) if (active[j]) for (let i = 0; i < m; i++) Jf[i * n + j] = 0;
  const { qtb } = qr(Jf, m, n, value.r);
  let explained = 0;
  for (let j = 0; j < Math.min(n, m); j++) explained += qtb[j] * qtb[j];
  return {
    gaussNewtonReduction: cost === 0 ? 0 : explained / cost,
    gradientCosine: gradientCosine(value.J, value.r, m, n, active),
    active,
  };
}

/** The Gauss-Newton covariance s^2 (J^T J)^-1 at a least-squares solution, and its diagnostics. */
export interface Covariance {
  /** n x n, row-major, in the coordinates of J's columns; null when J^T J is singular. */
  readonly covariance: Float64Array | null;
  readonly standardErrors: Float64Array;
  readonly correlation: Float64Array | null;
  /** s^2 = |r|^2 / (m - n): the residual variance (degrees of freedom m - n). */
  readonly residualVariance: number;
  readonly dof: number;
  /** Condition number of J^T J with unit-norm columns (scale-free). */
  readonly condition: number;
  /** Columns that take part in the near-null directions of J (empty when well conditioned). */
  readonly unidentifiable: number[];
}

/** Condition above which J^T J (unit columns) counts as ill-conditioned: 1/sqrt(eps) squared. */
export const ILL_CONDITIONED = 1e10;

export function covariance(value: ResidualValue, n: number): Covariance {
  const m = value.r.length;
  const dof = m - n;
  const s2 = dof > 0 ? sumSquares(value.r) / dof : NaN;
  const norms = columnNorms(value.J, m, n);
  // Unit-column J: its J^T J is the correlation-like matrix whose condition says what is identifiable.
  const Js = Float64Array.from(value.J, (v, q) => (norms[q % n] > 0 ? v / norms[q % n] : 0));
  const { R } = qr(Js, m, n, new Float64Array(m));
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k <= Math.min(i, j); k++) s += R[k * n + i] * R[k * n + j];
    G[i * n + j] = s;
  }
  const { values, vectors } = symmetricEigen(G, n);
  const largest = values[n - 1];
  const smallest = Math.max(values[0], 0);
  const condition = smallest > 0 ? largest / smallest : Infinity;
  const unidentifiable = new Set<number>();
  for (let k = 0; k < n; k++) {
    if (!(values[k] * ILL_CONDITIONED < largest)) break;
    for (let j = 0; j < n; j++) if (Math.abs(vectors[j * n + k]) > 0.1) unidentifiable.add(j);
  }
  for (let j = 0; j < n; j++) if (norms[j] === 0) unidentifiable.add(j);
  const Rinv = norms.every((v) => v > 0) ? invertUpper(R, n) : null;
  let cov: Float64Array | null = null;
  let correlation: Float64Array | null = null;
  const standardErrors = new Float64Array(n).fill(NaN);
  if (Rinv && Number.isFinite(condition)) {
    // (J^T J)^-1 = S^-1 (R^T R)^-1 S^-1 with S = diag(norms): R^-1 R^-T scaled back.
    cov = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < n; k++) s += Rinv[i * n + k] * Rinv[j * n + k];
      cov[i * n + j] = (s2 * s) / (norms[i] * norms[j]);
    }
    for (let j = 0; j < n; j++) standardErrors[j] = Math.sqrt(cov[j * n + j]);
    correlation = Float64Array.from(cov, (v, q) => v / (standardErrors[Math.floor(q / n)] * standardErrors[q % n]));
  }
  return { covariance: cov, standardErrors, correlation, residualVariance: s2, dof, condition, unidentifiable: [...unidentifiable].sort((a, b) => a - b) };
}

export function sumSquares(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

function scaledNorm(D: Float64Array, v: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += (D[j] * v[j]) ** 2;
  return Math.sqrt(s);
}
