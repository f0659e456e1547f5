/** The counts every solve reports (its own module: the integrator and the solution object both use it). */
export interface SolveStats {
  accepted: number;
  rejected: number;
  fEvals: number;
  /** Implicit methods only: Newton iterations (one f each), Jacobian evaluations, LU factorisations. */
  newtonIterations?: number;
  jacobianEvals?: number;
  luFactorizations?: number;
}

/** A solution's counts, and the back end that ran (with the reason when it was not WebAssembly). */
export interface SolutionStats extends SolveStats {
  readonly backend: 'js' | 'wasm';
  readonly backendReason?: string;
}
