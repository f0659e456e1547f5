/**
 * Back-propagation through one explicit Runge-Kutta step (shared by 'aca' and 'naive').
 *
 * With Y_j = y + h sum_{l<j} a_jl K_l and K_j = f(t + c_j h, Y_j, p), given the stage adjoints
 * Kbar_j seeded by the step's uses of its stages, the reverse sweep j = S-1..0 is
 *   (Ybar_j, pbar_j) = VJP of f at (t + c_j h, Y_j) with Kbar_j
 *   ybar += Ybar_j;  dL/dp += pbar_j;  Kbar_l += h a_jl Ybar_j  (l < j)
 * (shared/design/aca.md, backward pass step 2). Optionally it also accumulates the derivative
 * with respect to h through the stage inputs, sum_j Ybar_j . sum_{l<j} a_jl K_l, which only the
 * naive method needs (ACA holds h fixed).
 */
import type { Field } from '../fields/field.ts';
import type { PreparedMethod } from '../solvers/methods.ts';
import { stageInput } from '../solvers/stepper.ts';

export class StepAdjoint {
  readonly stageState: Float64Array;
  readonly stageAdjointY: Float64Array;
  readonly Kbar: Float64Array[];
  vjpEvals = 0;

  constructor(readonly method: PreparedMethod, readonly dim: number) {
    this.stageState = new Float64Array(dim);
    this.stageAdjointY = new Float64Array(dim);
    const buffer = new Float64Array(method.denseStages * dim);
    this.Kbar = Array.from({ length: method.denseStages }, (_, j) => buffer.subarray(j * dim, (j + 1) * dim));
  }

  /** Zeroes the stage adjoints of the first S stages. */
  clear(S: number): void {
    for (let j = 0; j < S; j++) this.Kbar[j].fill(0);
  }

  /**
   * The reverse sweep over stages S-1..0 of the step (t, h, y) with stages K. Adds into ybar and
   * dp; returns dL/dh through the stage inputs when `withH`, else 0.
   */
  sweep(
    field: Field,
    t: number,
    h: number,
    y: Float64Array,
    K: readonly Float64Array[],
    S: number,
    p: Float64Array,
    ybar: Float64Array,
    dp: Float64Array,
    withH: boolean,
  ): number {
    const { method, Kbar, stageState, stageAdjointY } = this;
    const n = this.dim;
    const sd = method.denseStages;
    const a = method.a;
    const c = method.c;
    let hbar = 0;
    for (let j = S - 1; j >= 0; j--) {
      const Kb = Kbar[j];
      let nonzero = false;
      for (let i = 0; i < n; i++) {
        if (Kb[i] !== 0) {
          nonzero = true;
          break;
        }
      }
      if (!nonzero) continue;
      if (j === 0) stageState.set(y);
      else stageInput(method, j, y, h, K, stageState);
      field.vjp!(t + c[j] * h, stageState, p, Kb, stageAdjointY, dp);
      this.vjpEvals++;
      for (let i = 0; i < n; i++) ybar[i] += stageAdjointY[i];
      const row = j * sd;
      for (let l = 0; l < j; l++) {
        const ajl = a[row + l];
        if (ajl === 0) continue;
        const w = h * ajl;
        const Kbl = Kbar[l];
        for (let i = 0; i < n; i++) Kbl[i] += w * stageAdjointY[i];
        if (withH) {
          const Kl = K[l];
          let dot = 0;
          for (let i = 0; i < n; i++) dot += Kl[i] * stageAdjointY[i];
          hbar += ajl * dot;
        }
      }
    }
    return hbar;
  }
}
