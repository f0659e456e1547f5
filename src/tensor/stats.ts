/** Counters of an ODE block, summed over its calls (reset them per epoch or per benchmark). */
export interface OdeBlockStats {
  calls: number;
  /** Accepted and rejected steps of the forward solves. */
  forwardAccepted: number;
  forwardRejected: number;
  /** Of the backward solves (the adjoint method's augmented system). */
  backwardAccepted: number;
  backwardRejected: number;
  /** Backward passes run, and ACA's recomputed steps. */
  backwardCalls: number;
  /** Evaluations of f, forward and backward, and of its vector-Jacobian product. */
  fEvals: number;
  vjpEvals: number;
}

export function emptyStats(): OdeBlockStats {
  return {
    calls: 0,
    forwardAccepted: 0,
    forwardRejected: 0,
    backwardAccepted: 0,
    backwardRejected: 0,
    backwardCalls: 0,
    fEvals: 0,
    vjpEvals: 0,
  };
}

export function resetStats(stats: OdeBlockStats): void {
  Object.assign(stats, emptyStats());
}
