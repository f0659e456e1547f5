/**
 * The memory layout shared by the generated module (solver.ts) and its JavaScript driver
 * (backend.ts): a header of Float64 slots for the scalar inputs and results, then fixed regions
 * sized by the model (d states, P parameters, S stages), then the regions that depend on the call
 * (output times, outputs, loss gradient, checkpoints), whose addresses go through the header.
 */

/** Header slots (Float64 indices). Inputs: */
export const H = {
  T0: 0,
  T1: 1,
  DIR: 2,
  H0: 3,
  MAX_STEP: 4,
  MIN_STEP: 5,
  MAX_STEPS: 6,
  N_TIMES: 7,
  NEXT_OUTPUT: 8,
  LAND: 9,
  RECORD: 10,
  SAFETY: 11,
  FACTOR_MIN: 12,
  FACTOR_MAX: 13,
  PI: 14,
  /** -1/(q+1), -0.7/(q+1), 0.4/(q+1), computed in JavaScript exactly as controller.ts does. */
  EXP_I: 15,
  EXP_P1: 16,
  EXP_P2: 17,
  TIMES: 18,
  OUT: 19,
  OUT_STEP: 20,
  OUT_THETA: 21,
  CKPT: 22,
  G: 23,
  F_EVALS_IN: 24,
  // Results:
  STATUS: 32,
  E_T: 33,
  E_H: 34,
  E_LIMIT: 35,
  E_INDEX: 36,
  E_VALUE: 37,
  E_WHAT: 38,
  ACCEPTED: 39,
  REJECTED: 40,
  F_EVALS: 41,
  CHECKPOINTS: 42,
  VJP_EVALS: 43,
  /** The last rejected trial was not finite (integrator.ts nonFiniteTrial): its t, h, err. */
  NF_FLAG: 44,
  NF_T: 45,
  NF_H: 46,
  NF_ERR: 47,
  /** Where K_0, K_{s-1} and y_new were at the exit (the FSAL pair and y/y_new are swapped). */
  K0_PTR: 48,
  KL_PTR: 49,
  YNEW_PTR: 50,
} as const;
export const HEADER_BYTES = 64 * 8;

/** Status codes of a solve, mapped to the errors of errors.ts by backend.ts. */
export const Status = {
  Ok: 0,
  MaxSteps: 1,
  Underflow: 2,
  NonFinite: 3,
  OutOfMemory: 4,
} as const;

/** Byte offsets of the fixed regions for a model with d states, nP parameters, s stages. */
export interface Layout {
  readonly d: number;
  readonly nP: number;
  readonly s: number;
  readonly P: number;
  readonly RTOL: number;
  readonly ATOL: number;
  readonly Y: number;
  readonly YNEW: number;
  /** K[j] at K + j d 8. */
  readonly K: number;
  readonly STAGE: number;
  readonly KBAR: number;
  readonly YBAR: number;
  /** ybar (the step's adjoint being assembled) and a (the adjoint of the step's end). */
  readonly YB: number;
  readonly ADJ: number;
  readonly DP: number;
  /** First byte of the per-call regions. */
  readonly DYNAMIC: number;
  /** Float64 slots per checkpoint: t, h, y, Y_1..Y_{s-1}. */
  readonly checkpointSlots: number;
}

export function layout(d: number, nP: number, s: number): Layout {
  let at = HEADER_BYTES;
  const take = (n: number) => {
    const start = at;
    at += 8 * n;
    return start;
  };
  const P = take(nP);
  const RTOL = take(d);
  const ATOL = take(d);
  const Y = take(d);
  const YNEW = take(d);
  const K = take(s * d);
  const STAGE = take(d);
  const KBAR = take(s * d);
  const YBAR = take(s * d);
  const YB = take(d);
  const ADJ = take(d);
  const DP = take(nP);
  return { d, nP, s, P, RTOL, ATOL, Y, YNEW, K, STAGE, KBAR, YBAR, YB, ADJ, DP, DYNAMIC: at, checkpointSlots: 2 + s * d };
}
