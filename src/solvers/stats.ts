/** The counts every solve reports (its own module: the integrator and the solution object both use it). */
export interface SolveStats {
  accepted: number;
  rejected: number;
  fEvals: number;
}

/** A solution's counts, and the back end that ran (with the reason when it was not WebAssembly). */
export interface SolutionStats extends SolveStats {
  readonly backend: 'js' | 'wasm';
  readonly backendReason?: string;
}
