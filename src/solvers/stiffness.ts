/**
 * Stiffness detection for the explicit methods: Hairer's test of DOPRI5 and DOP853 (Hairer and
 * Wanner, Solving ODEs II, 2nd ed., sec. IV.2, "automatic stiffness detection"; the codes' STNUM and
 * STDEN). Two stages at the same time t + h, the last (at y_new) and the one before it
 * (at its stage input), give an estimate of the dominant eigenvalue along the step,
 *
 *   h |lambda| ~ h ||K_s - K_{s-1}|| / ||y_new - Y_{s-1}||.
 *
 * When it reaches the method's stability boundary on the negative real axis (methods.ts,
 * stabilityBoundary, times BOUNDARY_FRACTION: Hairer uses 3.25 for DOPRI5's 3.31 and 6.1 for
 * DOP853's 6.4) for STIFF_STEPS accepted steps with no run of NONSTIFF_STEPS below it in between
 * (Hairer: 15; here 50, because 15 stopped a trained spiral neural ODE of
 * tests/timeseries/spiral.test.ts that dopri5 finishes fine; Robertson still stops within 100
 * steps), the step size is limited by stability, not accuracy: the problem is stiff. The test needs an FSAL
 * method whose last two stages both sit at c = 1 (dopri5, tsit5, dopri8); the other explicit
 * methods are not tested.
 */
import type { PreparedMethod } from './methods.ts';

export const BOUNDARY_FRACTION = 0.97;
export const STIFF_STEPS = 50;
export const NONSTIFF_STEPS = 6;

export class StiffnessDetector {
  private stiffRun = 0;
  private calmRun = 0;
  private readonly bound: number;
  /** Last estimate of h |lambda|. */
  hLambda = 0;

  constructor(readonly method: PreparedMethod) {
    this.bound = BOUNDARY_FRACTION * method.stabilityBoundary;
  }

  /** Whether the method has the two stages at c = 1 that the test compares. */
  static applies(method: PreparedMethod): boolean {
    const s = method.stages;
    return !method.implicit && method.fsal && s >= 3 && method.c[s - 1] === 1 && method.c[s - 2] === 1;
  }

  reset(): void {
    this.stiffRun = 0;
    this.calmRun = 0;
  }

  /**
   * After an accepted step: Klast = f(t + h, y_new), Kprev = f(t + h, Yprev). Returns true when the
   * problem has been found stiff.
   */
  accepted(h: number, Klast: Float64Array, Kprev: Float64Array, yNew: Float64Array, Yprev: Float64Array): boolean {
    let num = 0;
    let den = 0;
    for (let i = 0; i < yNew.length; i++) {
      const dk = Klast[i] - Kprev[i];
      const dy = yNew[i] - Yprev[i];
      num += dk * dk;
      den += dy * dy;
    }
    if (!(den > 0)) return false;
    this.hLambda = Math.abs(h) * Math.sqrt(num / den);
    if (this.hLambda > this.bound) {
      this.calmRun = 0;
      if (++this.stiffRun >= STIFF_STEPS) return true;
    } else if (this.stiffRun > 0 && ++this.calmRun >= NONSTIFF_STEPS) {
      this.stiffRun = 0;
      this.calmRun = 0;
    }
    return false;
  }
}
