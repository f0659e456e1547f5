/**
 * The implicit stages' part of back-propagation through an ESDIRK step (ACA through kvaerno3/5).
 *
 * Held fixed: t, h and the converged stages. Stage j >= 1 solves K_j = f(t_j, z_j + h gamma K_j),
 * z_j = y + h sum_{l<j} a_jl K_l. By the implicit function theorem (the stage equation exact at
 * the converged stage, J_j = df/dy at (t_j, Y_j)),
 *
 *   (I - h gamma J_j) dK_j = J_j dz_j + df/dp dp,
 *
 * so the cotangent Kbar_j of K_j becomes mu_j = (I - h gamma J_j)^{-T} Kbar_j, after which the
 * stage is back-propagated exactly like an explicit one with input z_j: the VJP of f at
 * (t_j, Y_j) with mu_j gives zbar_j = J_j^T mu_j and adds df/dp^T mu_j to dL/dp
 * (gradients/step-adjoint.ts does that part). No second derivatives are needed; J_j is exact
 * (the field's own or VJP-assembled, fields/derivatives.ts), one Jacobian and one LU per implicit
 * stage of each replayed step.
 */
import { fieldDerivatives, type FieldDerivatives } from '../fields/derivatives.ts';
import type { Field } from '../fields/field.ts';
import { luFactor, luSolveTransposed } from '../solvers/lu.ts';
import type { PreparedMethod } from '../solvers/methods.ts';
import { AcaError } from '../errors.ts';

export class ImplicitStageAdjoint {
  private readonly derivatives: FieldDerivatives;
  private readonly J: Float64Array;
  private readonly pivot: Int32Array;
  jacobianEvals = 0;
  luFactorizations = 0;

  constructor(private readonly field: Field, private readonly method: PreparedMethod) {
    const d = field.dim;
    this.derivatives = fieldDerivatives(field);
    this.J = new Float64Array(d * d);
    this.pivot = new Int32Array(d);
  }

  /** Kb <- (I - h a_jj J(t_j, Y_j))^{-T} Kb for an implicit stage j; explicit stages unchanged. */
  apply(tj: number, h: number, j: number, Yj: Float64Array, p: Float64Array, Kb: Float64Array): void {
    const hg = h * this.method.diagonal[j];
    if (hg === 0) return;
    const { J, pivot } = this;
    const d = this.field.dim;
    this.derivatives.jacobian(tj, Yj, p, J, null);
    this.jacobianEvals++;
    for (let k = 0; k < d * d; k++) J[k] = -hg * J[k];
    for (let i = 0; i < d; i++) J[i * d + i] += 1;
    this.luFactorizations++;
    if (!luFactor(J, d, pivot)) {
      throw new AcaError('ERR_SINGULAR_STAGE', `ACA: the stage matrix I - h gamma J is singular at t = ${tj} (stage ${j}, h = ${h})`);
    }
    luSolveTransposed(J, d, pivot, Kb);
  }
}
