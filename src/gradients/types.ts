/**
 * The gradient's options and result: the problem (field, y0, solver options), a loss on the
 * outputs, the gradient settings (gradients/settings.ts), and what comes back.
 */
import type { Loss } from '../losses/loss.ts';
import type { EventRecord } from '../solvers/events.ts';
import type { SolveStats } from '../solvers/integrator.ts';
import type { EventLoss } from './event-adjoint.ts';
import type { SolveOptions } from '../solvers/options.ts';
import type { GradientMethodName, GradientSettings } from './settings.ts';

export type { GradientMethodName, GradientSettings } from './settings.ts';

export interface GradientOptions extends SolveOptions {
  /** The loss on the outputs (may be left out when eventLoss is given). */
  readonly loss?: Loss;
  /** A loss on the events (their times and states), differentiated through the event times. */
  readonly eventLoss?: EventLoss;
  /** How the gradient is computed; default { method: 'aca' }. */
  readonly gradient?: GradientSettings;
}

export interface GradientStats {
  /** The forward solve's own statistics. */
  readonly forward: SolveStats;
  /** f evaluations (forward and backward together) and VJP evaluations. */
  fEvals: number;
  vjpEvals: number;
  /** Accepted and rejected steps of the forward solve, and of the backward pass. */
  accepted: number;
  rejected: number;
  backwardAccepted: number;
  backwardRejected: number;
  /** Checkpoints held (ACA: one per accepted step; naive: one per attempt). */
  checkpoints: number;
  /** Bytes of the checkpoints (ACA: N_t (d + 2) 8, plus kept stages) or of naive's tape. */
  checkpointBytes: number;
  /** Bytes of the method's own storage at its peak (checkpoints as allocated, tape, workspaces). */
  peakBytes: number;
  /** The back end that ran (src/wasm/), and why not WebAssembly when it did not. */
  backend?: 'js' | 'wasm';
  backendReason?: string;
}

export interface GradientResult {
  readonly loss: number;
  /** dL/dy0 (length d) and dL/dp (length P). */
  readonly dy0: Float64Array;
  readonly dp: Float64Array;
  /** dL/dt0 with the output times held fixed, and dL/dt of the last output time. */
  readonly dt0: number;
  readonly dt1: number;
  /** The forward outputs (K x d, row-major) and times. */
  readonly outputs: Float64Array;
  readonly times: Float64Array;
  readonly method: GradientMethodName;
  /** The events of the forward solve (empty without events). */
  readonly events: readonly EventRecord[];
  readonly stats: GradientStats;
  /** ACA only: the accepted steps (start times and signed sizes) the gradient is exact for. */
  readonly acceptedSteps?: { readonly t: Float64Array; readonly h: Float64Array };
  /** With AcaSettings.accuracy: the estimate of the gradient's relative error and its cost. */
  readonly accuracy?: GradientAccuracy;
  /** What a method measured about itself (the adjoint: its reconstruction drift). */
  readonly diagnostics?: GradientDiagnostics;
}

export interface GradientAccuracy {
  /** ||g_last - g_previous|| / ||g_last|| over (dy0, dp): the relative error estimate. */
  readonly estimate: number;
  readonly requested: number;
  /** The tolerance factor of the returned gradient's solve, and how many times it was tightened. */
  readonly toleranceFactor: number;
  readonly refinements: number;
  /** f evaluations of all the evaluations together (stats has the last one's). */
  readonly fEvals: number;
}

export interface GradientDiagnostics {
  /**
   * The continuous adjoint: the largest difference between its backward reconstruction of y and
   * the forward outputs, in the scaled RMS norm of the error control (1 = at tolerance), and
   * where it was largest.
   */
  readonly adjointDrift?: { readonly max: number; readonly t: number; readonly limit: number };
}
