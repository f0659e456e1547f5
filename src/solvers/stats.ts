/** The counts every solve reports (its own module: the integrator and the solution object both use it). */
export interface SolveStats {
  accepted: number;
  rejected: number;
  fEvals: number;
}
