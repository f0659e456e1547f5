/**
 * The stage solve of the ESDIRK methods (tableau.ts `gamma`): the stepping seam through which the
 * one integration loop (integrator.ts) runs implicit methods. Stage 0 is explicit (K_0 = f(t, y),
 * provided by the loop); for j = 1 .. s-1 the stage equation
 *
 *   Z_j = h gamma f(t + c_j h, z_j + Z_j),   z_j = y + h sum_{l<j} a_jl K_l,   Y_j = z_j + Z_j,
 *
 * is solved by simplified Newton (the chord method) with the matrix M = I - h gamma J, J = df/dy at
 * the step's start, LU-factored once and reused across the stages and the following steps while
 * the iteration converges (Hairer and Wanner, Solving ODEs II, sec. IV.8, "simplified Newton
 * iterations", and their RADAU5 strategy):
 *
 *  - iteration: M dZ = -(Z - h gamma f(Y)); Z += dZ; stop when eta ||dZ|| <= kappa with the
 *    contraction estimate eta = theta / (1 - theta), theta = ||dZ_k|| / ||dZ_{k-1}|| (the first
 *    iteration uses eta from the previous stage, raised to 0.8, as RADAU5's FACCON), norms scaled by
 *    atol + rtol |y| as the error estimate's, so kappa is a fraction of the tolerance. The default
 *    kappa is RADAU5's FNEWT = max(10 eps / rtol, min(0.03, sqrt(rtol))).
 *  - divergence (theta >= 1), a non-finite value or MAX_ITERATIONS: failure. With a Jacobian from
 *    an earlier step, it is re-evaluated here and the step retried once; with a fresh one the step
 *    is rejected and the loop shrinks it (integrator.ts).
 *  - the LU is refactored when h gamma moved by more than 20% from the factored one or J changed;
 *    J is refreshed at the next step when a stage contracted slowly (theta > REFRESH_RATE).
 *
 * The stage derivative is taken as K_j = Z_j / (h gamma) (not f(Y_j): the same at convergence, and
 * free of the amplification of the Newton residual by a stiff f; Shampine, Numerical Solution of
 * ODEs, 1994, sec. 8.4). Each stage's iteration starts from Z_j = 0 (Y_j = z_j): measured on
 * Robertson to 1e11, the extrapolation Z_j = h gamma K_{j-1} made 14x more Newton failures.
 *
 * Jacobians come from fields/derivatives.ts: the field's own (compiled for equation models, hand-
 * written for N-body and networks), else assembled from d VJPs; a field with no derivatives at all
 * gets forward differences of f (newtonJacobian below: the chord iteration needs only an
 * approximate J; its d f evaluations are counted). All workspaces are allocated here, once per solve.
 */
import { fieldDerivatives, type FieldDerivatives } from '../fields/derivatives.ts';
import type { Field } from '../fields/field.ts';
import { luFactor, luSolve } from './lu.ts';
import type { PreparedMethod } from './methods.ts';
import { stageInput } from './stepper.ts';

/** Counters of the implicit work, added to a solve's stats (integrator.ts SolveStats). */
export interface ImplicitCounters {
  fEvals: number;
  newtonIterations: number;
  jacobianEvals: number;
  luFactorizations: number;
}

export const MAX_NEWTON_ITERATIONS = 10;
/** A stage whose contraction rate exceeded this asks for a fresh Jacobian at the next step. */
export const REFRESH_RATE = 0.2;
/** Updates below this many ulps of the stage value count as converged. */
const ROUNDOFF = 16 * Number.EPSILON;
/** Updates below this relative size that stop contracting are rounding noise: converged. */
const NOISE = 1e4 * Number.EPSILON;
/** The LU is kept while h gamma stays within this relative distance of the factored one. */
const REFACTOR_CHANGE = 0.2;

/** RADAU5's default Newton tolerance for the smallest relative tolerance given. */
export function defaultNewtonTolerance(rtol: Float64Array): number {
  let r = Infinity;
  for (let i = 0; i < rtol.length; i++) if (rtol[i] > 0) r = Math.min(r, rtol[i]);
  if (!Number.isFinite(r)) r = 1e-6;
  return Math.max((10 * Number.EPSILON) / r, Math.min(0.03, Math.sqrt(r)));
}

/** Where the Newton matrix's J comes from (module comment). */
export type JacobianSource = Pick<FieldDerivatives, 'jacobian'>;

export function newtonJacobian(field: Field, counters: ImplicitCounters): JacobianSource {
  if (field.vjp || field.jvp || field.jacobian) return fieldDerivatives(field);
  const d = field.dim;
  const f0 = new Float64Array(d);
  const f1 = new Float64Array(d);
  const yy = new Float64Array(d);
  return {
    jacobian(t, y, p, outJy) {
      field.f(t, y, p, f0);
      yy.set(y);
      for (let j = 0; j < d; j++) {
        // sqrt(eps) relative steps (Dennis and Schnabel, Numerical Methods for Unconstrained
        // Optimization, sec. 5.4).
        const delta = Math.sqrt(Number.EPSILON) * Math.max(1, Math.abs(y[j]));
        yy[j] = y[j] + delta;
        field.f(t, yy, p, f1);
        yy[j] = y[j];
        for (let i = 0; i < d; i++) outJy[i * d + j] = (f1[i] - f0[i]) / delta;
      }
      counters.fEvals += d + 1;
    },
  };
}

export class ImplicitStages {
  private readonly d: number;
  private readonly J: Float64Array;
  private readonly M: Float64Array;
  private readonly pivot: Int32Array;
  private readonly z: Float64Array;
  private readonly Z: Float64Array;
  private readonly dZ: Float64Array;
  private readonly F: Float64Array;
  private readonly Ywork: Float64Array;
  /** h gamma of the current factorisation (NaN: none valid). */
  private factoredHg = NaN;
  /** J must be re-evaluated before the next step. */
  private stale = true;
  private eta = 1;
  /** Largest contraction rate seen in the last stage solve. */
  maxRate = 0;

  constructor(
    private readonly field: Field,
    private readonly method: PreparedMethod,
    private readonly derivatives: JacobianSource,
    private readonly rtol: Float64Array,
    private readonly atol: Float64Array,
    private readonly kappa: number,
    private readonly counters: ImplicitCounters,
    /** More for a replay to round-off (tight kappa: the chord iteration converges only linearly). */
    private readonly maxIterations = MAX_NEWTON_ITERATIONS,
  ) {
    const d = field.dim;
    this.d = d;
    this.J = new Float64Array(d * d);
    this.M = new Float64Array(d * d);
    this.pivot = new Int32Array(d);
    this.z = new Float64Array(d);
    this.Z = new Float64Array(d);
    this.dZ = new Float64Array(d);
    this.F = new Float64Array(d);
    this.Ywork = new Float64Array(d);
  }

  /** Forget the Jacobian and factorisation (a new solve, or a state that jumped). */
  reset(): void {
    this.stale = true;
    this.factoredHg = NaN;
    this.eta = 1;
  }

  /**
   * Stages 1 .. s-1 of the step (t, y, h) into K (K[0] = f(t, y) already there) and, when given,
   * their inputs Y_j into inputs[j]. Returns false when Newton failed with a fresh Jacobian: the
   * caller rejects the step.
   */
  step(t: number, y: Float64Array, h: number, p: Float64Array, K: readonly Float64Array[], inputs: readonly Float64Array[] | null): boolean {
    let fresh = false;
    if (this.stale) {
      this.evaluateJacobian(t, y, p);
      fresh = true;
    }
    for (;;) {
      const hg = h * this.method.tableau.gamma!;
      if (!(Math.abs(hg - this.factoredHg) <= REFACTOR_CHANGE * Math.abs(this.factoredHg)) && !this.factor(hg)) {
        if (fresh) return false;
      } else if (this.solveStages(t, y, h, p, K, inputs)) {
        this.stale = this.maxRate > REFRESH_RATE;
        return true;
      } else if (fresh) {
        return false;
      }
      this.evaluateJacobian(t, y, p);
      fresh = true;
    }
  }

  private evaluateJacobian(t: number, y: Float64Array, p: Float64Array): void {
    this.derivatives.jacobian(t, y, p, this.J, null);
    this.counters.jacobianEvals++;
    this.factoredHg = NaN;
    this.stale = false;
  }

  /** M <- LU of (I - hg J); false when singular or not finite. */
  private factor(hg: number): boolean {
    const { J, M, d } = this;
    for (let k = 0; k < d * d; k++) M[k] = -hg * J[k];
    for (let i = 0; i < d; i++) M[i * d + i] += 1;
    this.counters.luFactorizations++;
    const ok = luFactor(M, d, this.pivot);
    this.factoredHg = ok ? hg : NaN;
    return ok;
  }

  private solveStages(t: number, y: Float64Array, h: number, p: Float64Array, K: readonly Float64Array[], inputs: readonly Float64Array[] | null): boolean {
    const { method, field, d, z, Z, dZ, F, M, pivot, rtol, atol, kappa, counters } = this;
    const hg = h * method.tableau.gamma!;
    const s = method.stages;
    this.maxRate = 0;
    for (let j = 1; j < s; j++) {
      const tj = t + method.c[j] * h;
      const Y = inputs ? inputs[j] : this.Ywork;
      stageInput(method, j, y, h, K, z);
      Z.fill(0);
      let eta = Math.pow(Math.max(this.eta, Number.EPSILON), 0.8);
      let previous = NaN;
      let converged = false;
      for (let it = 0; it < this.maxIterations; it++) {
        for (let i = 0; i < d; i++) Y[i] = z[i] + Z[i];
        field.f(tj, Y, p, F);
        counters.fEvals++;
        counters.newtonIterations++;
        for (let i = 0; i < d; i++) dZ[i] = hg * F[i] - Z[i];
        luSolve(M, d, pivot, dZ);
        let sum = 0;
        // At round-off: every update within a few ulps of the stage value (a tight kappa, as in
        // ACA's replay, would otherwise stall on rounding noise and read it as divergence).
        let roundoff = true;
        let noise = true;
        for (let i = 0; i < d; i++) {
          const scale = atol[i] + rtol[i] * Math.max(Math.abs(y[i]), Math.abs(Y[i]));
          const r = dZ[i] / scale;
          sum += r * r;
          const size = Math.abs(dZ[i]);
          const value = Math.abs(z[i]) + Math.abs(Z[i]);
          if (size > ROUNDOFF * value) roundoff = false;
          if (size > NOISE * value) noise = false;
          Z[i] += dZ[i];
        }
        const norm = Math.sqrt(sum / d);
        if (!Number.isFinite(norm)) return false;
        if (roundoff) {
          converged = true;
          break;
        }
        if (it > 0) {
          const theta = norm / previous;
          if (theta > this.maxRate) this.maxRate = theta;
          // No contraction at the level of rounding noise is convergence, not divergence.
          if (!(theta < 1)) {
            if (noise) {
              converged = true;
              break;
            }
            return false;
          }
          eta = theta / (1 - theta);
        }
        if (eta * norm <= kappa || norm === 0) {
          converged = true;
          break;
        }
        previous = norm;
      }
      if (!converged) return false;
      this.eta = eta;
      for (let i = 0; i < d; i++) Y[i] = z[i] + Z[i];
      const Kj = K[j];
      const inv = 1 / hg;
      for (let i = 0; i < d; i++) Kj[i] = Z[i] * inv;
    }
    return true;
  }
}
