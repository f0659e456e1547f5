/**
 * A Runge-Kutta method as plain data (a Butcher tableau): explicit, or ESDIRK with `gamma`. One generic stepper
 * (solvers/stepper.ts) runs every tableau; adding a method is adding a file in tableaus/.
 *
 *   K_j = f(t + c_j h, y + h sum_{l<j} a_jl K_l),   y_new = y + h sum_j b_j K_j
 *   error estimate  err = h sum_j e_j K_j   (e = b - b_hat, the embedded lower-order weights)
 */
export interface Tableau {
  readonly name: string;
  /** Number of stages s. */
  readonly stages: number;
  /** Strictly lower-triangular rows: a[j] has j entries (a[0] is empty). */
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  readonly c: readonly number[];
  /** Classical order of the propagated solution. */
  readonly order: number;
  /** Error weights e = b - b_hat of the embedded method; absent for fixed-step methods. */
  readonly e?: readonly number[];
  /** Order of the embedded solution (so the error estimate is O(h^(errorOrder+1))). */
  readonly errorOrder?: number;
  /**
   * Second error estimate for Hairer's DOP853 combined estimator (Hairer, Norsett, Wanner,
   * Solving ODEs I, 2nd ed., sec. II.10): err = err5^2 / sqrt(err5^2 + 0.01 err3^2).
   */
  readonly e3?: readonly number[];
  /**
   * First Same As Last: the last stage is f(t + h, y_new), so it is the next step's first stage.
   * Then a[s-1] equals b and c[s-1] = 1.
   */
  readonly fsal: boolean;
  /**
   * The method's own dense output: y(t + theta h) = y + h sum_j w_j(theta) K_j with
   * w_j(theta) = sum_k dense[j][k] theta^(k+1). Absent: cubic Hermite through (y, f) at both ends.
   */
  readonly dense?: readonly (readonly number[])[];
  /** Order of the dense output (for tests and documentation). */
  readonly denseOrder?: number;
  /**
   * The diagonal of an ESDIRK method (implicit stages, solvers/implicit.ts): a_jj = gamma for
   * j >= 1 and a_00 = 0 (an explicit first stage). Absent for explicit methods. The stages then
   * solve Y_j = y + h sum_{l<j} a_jl K_l + h gamma K_j with K_j = f(t + c_j h, Y_j).
   */
  readonly gamma?: number;
  /** Short citation of where the coefficients come from. */
  readonly source: string;
}

/** True when the tableau carries an embedded error estimate and so can adapt its step. */
export function isAdaptive(tableau: Tableau): boolean {
  return tableau.e !== undefined;
}
