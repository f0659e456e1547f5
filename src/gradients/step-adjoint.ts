/**
 * Back-propagation through one explicit Runge-Kutta step (shared by 'aca' and 'naive').
 *
 * With Y_j = y + h sum_{l<j} a_jl K_l and K_j = f(t + c_j h, Y_j, p), given the stage adjoints
 * Kbar_j seeded by the step's uses of its stages, the reverse sweep j = S-1..0 is
 *   Kbar_j += h sum_{m>j} a_mj Ybar_m
 *   (Ybar_j, pbar_j) = VJP of f at (t + c_j h, Y_j) with Kbar_j
 *   ybar += Ybar_j;  dL/dp += pbar_j
 * (docs/design.md, "ACA", backward step 3, with the updates Kbar_l += h a_jl Ybar_j gathered
 * per stage: column j of a is added in one pass over the components, several terms at a time,
 * instead of one pass per term). Optionally it also accumulates the derivative with respect to h
 * through the stage inputs, sum_j Ybar_j . sum_{l<j} a_jl K_l, which only the naive method needs
 * (ACA holds h fixed).
 *
 * Implicit (ESDIRK) tableaus pass an ImplicitStageAdjoint: before its VJP, an implicit stage's
 * Kbar_j is replaced by (I - h gamma J_j)^{-T} Kbar_j (the implicit function theorem; see
 * gradients/implicit-step-adjoint.ts), and the rest of the sweep is unchanged.
 */
import type { Field } from '../fields/field.ts';
import type { PreparedMethod } from '../solvers/methods.ts';
import type { ImplicitStageAdjoint } from './implicit-step-adjoint.ts';

export class StepAdjoint {
  /** Kbar_j, seeded by the caller before sweep(). */
  readonly Kbar: Float64Array[];
  /** Ybar_j of the last sweep (valid where ybarSet[j]). */
  private readonly Ybar: Float64Array[];
  private readonly ybarSet: Uint8Array;
  /** Column j of a below the diagonal: rows colRows[colStart[j]..colStart[j+1]) and values. */
  private readonly colStart: Int32Array;
  private readonly colRows: Int32Array;
  private readonly colVals: Float64Array;
  vjpEvals = 0;

  constructor(readonly method: PreparedMethod, readonly dim: number, readonly implicit: ImplicitStageAdjoint | null = null) {
    const sd = method.denseStages;
    const stages = (n: number) => {
      const buffer = new Float64Array(n * dim);
      return Array.from({ length: n }, (_, j) => buffer.subarray(j * dim, (j + 1) * dim));
    };
    this.Kbar = stages(sd);
    this.Ybar = stages(sd);
    this.ybarSet = new Uint8Array(sd);
    const rows: number[] = [];
    const vals: number[] = [];
    this.colStart = new Int32Array(sd + 1);
    for (let j = 0; j < sd; j++) {
      for (let m = j + 1; m < sd; m++) {
        const v = method.a[m * sd + j];
        if (v !== 0) rows.push(m), vals.push(v);
      }
      this.colStart[j + 1] = rows.length;
    }
    this.colRows = Int32Array.from(rows);
    this.colVals = Float64Array.from(vals);
  }

  /** Zeroes the stage adjoints of the first S stages. */
  clear(S: number): void {
    for (let j = 0; j < S; j++) this.Kbar[j].fill(0);
  }

  /**
   * The reverse sweep over stages S-1..0 of the step (t, h) with stage inputs Y (Y[0] = y, the
   * step's start) and stages K. Adds into ybar and dp; returns dL/dh through the stage inputs
   * when `withH` (which needs K), else 0.
   */
  sweep(
    field: Field,
    t: number,
    h: number,
    Y: readonly Float64Array[],
    K: readonly Float64Array[] | null,
    S: number,
    p: Float64Array,
    ybar: Float64Array,
    dp: Float64Array,
    withH: boolean,
  ): number {
    const { method, Kbar, Ybar, ybarSet } = this;
    const n = this.dim;
    const sd = method.denseStages;
    const a = method.a;
    const c = method.c;
    let hbar = 0;
    for (let j = S - 1; j >= 0; j--) {
      const Kb = Kbar[j];
      this.gatherColumn(j, S, h, Kb);
      let nonzero = false;
      for (let i = 0; i < n; i++) {
        if (Kb[i] !== 0) {
          nonzero = true;
          break;
        }
      }
      ybarSet[j] = nonzero ? 1 : 0;
      if (!nonzero) continue;
      const Yb = Ybar[j];
      if (this.implicit) this.implicit.apply(t + c[j] * h, h, j, Y[j], p, Kb);
      field.vjp!(t + c[j] * h, Y[j], p, Kb, Yb, dp);
      this.vjpEvals++;
      for (let i = 0; i < n; i++) ybar[i] += Yb[i];
      if (withH) {
        const row = j * sd;
        for (let l = 0; l < j; l++) {
          const ajl = a[row + l];
          if (ajl === 0) continue;
          const Kl = K![l];
          let dot = 0;
          for (let i = 0; i < n; i++) dot += Kl[i] * Yb[i];
          hbar += ajl * dot;
        }
      }
    }
    return hbar;
  }

  /** Kb += h sum_{m > j, m < S, Ybar_m set} a_mj Ybar_m, up to four terms per pass. */
  private gatherColumn(j: number, S: number, h: number, Kb: Float64Array): void {
    const { colRows, colVals, Ybar, ybarSet } = this;
    const n = this.dim;
    let q = this.colStart[j];
    const end = this.colStart[j + 1];
    for (;;) {
      let m = 0;
      let w0 = 0, w1 = 0, w2 = 0, w3 = 0;
      let Y0 = Kb, Y1 = Kb, Y2 = Kb, Y3 = Kb;
      for (; q < end && m < 4; q++) {
        const row = colRows[q];
        if (row >= S || !ybarSet[row]) continue;
        const w = h * colVals[q];
        if (m === 0) (w0 = w), (Y0 = Ybar[row]);
        else if (m === 1) (w1 = w), (Y1 = Ybar[row]);
        else if (m === 2) (w2 = w), (Y2 = Ybar[row]);
        else (w3 = w), (Y3 = Ybar[row]);
        m++;
      }
      if (m === 4) for (let i = 0; i < n; i++) Kb[i] += w0 * Y0[i] + w1 * Y1[i] + w2 * Y2[i] + w3 * Y3[i];
      else if (m === 3) for (let i = 0; i < n; i++) Kb[i] += w0 * Y0[i] + w1 * Y1[i] + w2 * Y2[i];
      else if (m === 2) for (let i = 0; i < n; i++) Kb[i] += w0 * Y0[i] + w1 * Y1[i];
      else if (m === 1) for (let i = 0; i < n; i++) Kb[i] += w0 * Y0[i];
      if (m < 4) return;
    }
  }
}
