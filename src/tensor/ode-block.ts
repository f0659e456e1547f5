/**
 * An ODE block: x -> y(t1) where y' = f(t, y; p), y(t0) = x, differentiated by the method the
 * options name. The functional form used by the layers (layers.ts) and the tests:
 *
 *   odeBlock(field, params, x, options, stats)
 *
 * 'aca' and 'adjoint' are tf.customGrad ops whose inputs are x and the parameters, so the block
 * sits in a larger model whose other layers use tfjs's ordinary autodiff; 'naive' is plain taped
 * ops. Outside a gradient tape (inference) all three run the same untaped solve. These read the
 * error norms synchronously (CPU, WASM, tfjs-node).
 *
 * odeBlockPass is the same block for backends without synchronous reads (WebGPU): an async
 * forward pass that returns the output and a backward function, for a training loop that chains
 * the model's pieces itself (chained.ts).
 */
import { acaBlock } from './aca.ts';
import { adjointBlock } from './adjoint.ts';
import { bindField, type TensorField } from './conv-field.ts';
import { acaBackward } from './aca.ts';
import { adjointBackwardSteps } from './adjoint.ts';
import { disposeCheckpoints, integrate, integrateSteps, type Span } from './integrate.ts';
import { runAsync, runReplay } from './reads.ts';
import { naiveBlock, naiveSteps } from './naive.ts';
import { resolveBlockOptions, type OdeBlockOptions, type ResolvedBlockOptions } from './options.ts';
import { emptyStats, type OdeBlockStats } from './stats.ts';
import { isTaping } from './tape.ts';
import { tf, type Tensor } from './tf.ts';

export function odeBlock(
  field: TensorField,
  params: readonly Tensor[],
  x: Tensor,
  options: OdeBlockOptions | ResolvedBlockOptions = {},
  stats: OdeBlockStats = emptyStats(),
): Tensor {
  const opts = isResolved(options) ? options : resolveBlockOptions(options);
  const span = forwardSpan(opts);
  stats.calls++;
  if (!isTaping()) {
    const loop = { accepted: 0, rejected: 0, fEvals: 0 };
    const { final } = integrate(bindField(field, params), [x], span, loop);
    stats.forwardAccepted += loop.accepted;
    stats.forwardRejected += loop.rejected;
    stats.fEvals += loop.fEvals;
    return final[0];
  }
  switch (opts.gradient) {
    case 'aca':
      return acaBlock(field, params, x, span, stats);
    case 'adjoint':
      return adjointBlock(field, params, x, span, backwardSpan(opts), stats);
    case 'naive':
      return naiveBlock(field, params, x, span, stats);
  }
}

/** A forward pass kept for its backward pass. */
export interface BlockPass {
  readonly output: Tensor;
  /**
   * Pulls dy = dL/d(output) back: [dL/dx, dL/dp_1, ...]. Frees what the pass kept; the output
   * itself stays the caller's.
   */
  backward(dy: Tensor): Promise<Tensor[]>;
  /** Frees what the pass kept without a backward pass. */
  dispose(): void;
}

/**
 * The block's forward pass with asynchronous reads (any backend), keeping what its gradient
 * method needs: ACA the checkpoints, the adjoint the end state, naive the values it read (its
 * backward pass replays the solve under a tape with them: runReplay in reads.ts). With
 * `gradient: false` nothing is kept (inference).
 */
export async function odeBlockPass(
  field: TensorField,
  params: readonly Tensor[],
  x: Tensor,
  options: OdeBlockOptions | ResolvedBlockOptions = {},
  stats: OdeBlockStats = emptyStats(),
): Promise<BlockPass> {
  const opts = isResolved(options) ? options : resolveBlockOptions(options);
  const span = forwardSpan(opts);
  stats.calls++;
  const count = (loop: { accepted: number; rejected: number; fEvals: number }): void => {
    stats.forwardAccepted += loop.accepted;
    stats.forwardRejected += loop.rejected;
    stats.fEvals += loop.fEvals;
  };
  const loop = { accepted: 0, rejected: 0, fEvals: 0 };
  const f = bindField(field, params);
  switch (opts.gradient) {
    case 'aca': {
      const { final, checkpoints } = await runAsync(integrateSteps(f, [x], span, loop, true));
      count(loop);
      const steps = checkpoints.map((c) => ({ t: c.t, h: c.h }));
      const free = (): void => disposeCheckpoints(checkpoints, [x]);
      return {
        output: final[0],
        backward: async (dy) => {
          try {
            return acaBackward(opts.method, field, params, steps, checkpoints.map((c) => c.state[0]), dy, stats);
          } finally {
            free();
          }
        },
        dispose: free,
      };
    }
    case 'adjoint': {
      const { final } = await runAsync(integrateSteps(f, [x], span, loop, false));
      count(loop);
      return {
        output: final[0],
        backward: (dy) => runAsync(adjointBackwardSteps(field, params, final[0], dy, backwardSpan(opts), stats)),
        dispose: () => undefined,
      };
    }
    case 'naive': {
      // Record the values the solve reads, untaped; the backward pass replays it under the tape.
      const values: number[] = [];
      const engine = tf.engine();
      engine.startScope();
      let output: Tensor | null = null;
      try {
        output = await runAsync(naiveSteps(field, params, x, span, emptyStats()), values);
      } finally {
        engine.endScope(output ?? undefined);
      }
      return {
        output,
        backward: async (dy) => {
          const replay = (x0: Tensor, ...p: Tensor[]): Tensor => runReplay(naiveSteps(field, p, x0, span, stats), values);
          return tf.grads(replay)([x, ...params], dy);
        },
        dispose: () => undefined,
      };
    }
  }
}

/** The block's output with asynchronous reads and nothing kept (inference on any backend). */
export async function odeBlockInfer(
  field: TensorField,
  params: readonly Tensor[],
  x: Tensor,
  options: OdeBlockOptions | ResolvedBlockOptions = {},
  stats: OdeBlockStats = emptyStats(),
): Promise<Tensor> {
  const opts = isResolved(options) ? options : resolveBlockOptions(options);
  const loop = { accepted: 0, rejected: 0, fEvals: 0 };
  stats.calls++;
  const { final } = await runAsync(integrateSteps(bindField(field, params), [x], forwardSpan(opts), loop, false));
  stats.forwardAccepted += loop.accepted;
  stats.forwardRejected += loop.rejected;
  stats.fEvals += loop.fEvals;
  return final[0];
}

export function forwardSpan(opts: ResolvedBlockOptions): Span {
  return {
    method: opts.method,
    t0: opts.t0,
    t1: opts.t1,
    rtol: opts.rtol,
    atol: opts.atol,
    fixedSteps: opts.fixedSteps,
    firstStep: opts.firstStep,
    maxSteps: opts.maxSteps,
    controller: opts.controller,
  };
}

/** The adjoint's solve from t1 back to t0, with its own tolerances and Hairer's first step. */
export function backwardSpan(opts: ResolvedBlockOptions): Span {
  return {
    ...forwardSpan(opts),
    t0: opts.t1,
    t1: opts.t0,
    rtol: opts.adjointRtol,
    atol: opts.adjointAtol,
    firstStep: null,
  };
}

function isResolved(o: OdeBlockOptions | ResolvedBlockOptions): o is ResolvedBlockOptions {
  return typeof (o as ResolvedBlockOptions).method === 'object';
}
