/**
 * Explosive growth of ACA's adjoint through an explicit method. On a stiff problem an explicit
 * method's accepted steps sit on its stability boundary: the controller keeps y bounded, but the
 * discrete map with the steps held fixed is unstable, and its exact derivative (what ACA returns)
 * grows without bound (Robertson with dopri8 at rtol 1e-9: dL/dk1 = 1.96e143 against -0.269).
 * The adjoint of a well-posed problem grows by the sensitivity of the solution; a growth by more
 * than GROWTH_LIMIT over the largest seed dL/d(output), or a non-finite adjoint, is taken as the
 * instability and raised (UnstableAdjointError) instead of returning a gradient. The forward
 * stiffness test (solvers/stiffness.ts) usually stops such a solve earlier; this is the backstop
 * for methods without that test or a solve run with stiffnessCheck: false.
 */
import { UnstableAdjointError } from '../errors.ts';
import { IMPLICIT_METHOD_NAMES } from '../solvers/methods.ts';

export const GROWTH_LIMIT = 1e12;

export class AdjointGrowthMonitor {
  private readonly seed: number;

  constructor(private readonly method: string, g: Float64Array) {
    let m = 0;
    for (let i = 0; i < g.length; i++) m = Math.max(m, Math.abs(g[i]));
    this.seed = m;
  }

  /** After the step starting at t: a = dL/dy(t). */
  step(t: number, a: Float64Array): void {
    let m = 0;
    for (let i = 0; i < a.length; i++) {
      const v = Math.abs(a[i]);
      if (!Number.isFinite(v)) throw new UnstableAdjointError(t, Infinity, this.method, IMPLICIT_METHOD_NAMES);
      if (v > m) m = v;
    }
    if (this.seed === 0) return;
    const growth = m / this.seed;
    if (!(growth <= GROWTH_LIMIT)) throw new UnstableAdjointError(t, growth, this.method, IMPLICIT_METHOD_NAMES);
  }
}
