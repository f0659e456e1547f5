/**
 * What a gradient method is to the driver (gradients/gradient.ts): an object that checks its own
 * settings, says what the forward pass must keep, observes the forward pass through the
 * integrator's step record, and supplies the backward pass. The driver owns everything else:
 * the checks on the problem, option resolution, the forward solve, the loss, the end-time
 * derivatives, and the result and its stats. Modelled on diffrax's AbstractAdjoint: the solve
 * loop does not know which method it serves.
 */
import type { Field } from '../fields/field.ts';
import type { Integrator, StepObserver } from '../solvers/integrator.ts';
import type { ResolvedOptions } from '../solvers/options.ts';
import type { EventAdjoint } from './event-adjoint.ts';
import type { GradientMethodName, GradientSettings } from './settings.ts';
import type { GradientDiagnostics } from './types.ts';

export interface GradientMethod<S extends GradientSettings = GradientSettings> {
  readonly name: GradientMethodName;
  /** Throws InvalidArgumentError (path `${path}.key`) for an option it does not accept. */
  check(settings: S, path: string): void;
  /** Whether the method differentiates through events (their times and resets). */
  readonly events?: boolean;
  /** Starts one evaluation of the gradient of a resolved problem. */
  start(problem: ForwardProblem, settings: S): GradientPass;
}

export interface ForwardProblem {
  readonly field: Field;
  readonly y0: Float64Array;
  readonly options: ResolvedOptions;
}

/** One evaluation: what the forward pass keeps, and the backward pass. */
export interface GradientPass {
  /** Ask the integrator to keep each attempt's stage inputs (StepRecord.stageInputs). */
  readonly keepStageInputs: boolean;
  readonly observer?: StepObserver;
  /**
   * The backward pass, after the forward pass ran on `forward` and the loss gave
   * g = dL/d(outputs) (K x d). Writes dL/dy0 into dy0 and adds dL/dp into dp (both zeroed).
   * `events`, when the solve had events, seeds each step's events (gradients/event-adjoint.ts);
   * only methods with `events: true` receive it.
   */
  backward(forward: Integrator, g: Float64Array, dy0: Float64Array, dp: Float64Array, events?: EventAdjoint | null): BackwardStats;
}

/** What the backward pass reports; the driver adds the forward pass's and its own counts. */
export interface BackwardStats {
  /** f and VJP evaluations of the backward pass. */
  readonly fEvals: number;
  readonly vjpEvals: number;
  /** Steps of the backward pass (ACA: the accepted steps replayed; adjoint: its own solve). */
  readonly accepted: number;
  readonly rejected: number;
  /** Checkpoints held (ACA: one per accepted step; naive: one per attempt) and their bytes. */
  readonly checkpoints: number;
  readonly checkpointBytes: number;
  /** Bytes of the method's own storage at its peak (checkpoints, tape, workspaces). */
  readonly peakBytes: number;
  /** ACA: the accepted steps (start times and signed sizes) the gradient is exact for. */
  readonly acceptedSteps?: { readonly t: Float64Array; readonly h: Float64Array };
  /** What the method measured about itself (the adjoint's drift). */
  readonly diagnostics?: GradientDiagnostics;
}
