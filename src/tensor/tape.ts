/**
 * The two places where the tensor path reaches into tfjs's engine (tfjs-core 4.22), kept here.
 *
 * 1. Gradients inside a custom gradient. A tf.customGrad gradient function runs while the outer
 *    backpropagation is in progress, with gradientDepth back at 0. A tf.grads call there starts a
 *    new tape by replacing engine.state.activeTape, and when done sets it to null; the outer
 *    tf.grads / tf.variableGrads then fails at its clean-up ("Cannot read properties of null
 *    (reading 'forEach')") and the saved tensors of the outer tape leak. Saving and restoring the
 *    outer tape around the inner call avoids both (tests/tensor check that no tensor leaks).
 * 2. Whether a tape is recording, so that inference skips keeping checkpoints.
 */
import { tf, type Tensor } from './tf.ts';

interface EngineInternals {
  state: { activeTape: unknown };
  isTapeOn(): boolean;
}

function engine(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/** Runs fn (which calls tf.grads or tf.valueAndGrads) without disturbing an enclosing backprop. */
export function withOwnTape<T>(fn: () => T): T {
  const e = engine();
  const outer = e.state.activeTape;
  try {
    return fn();
  } finally {
    e.state.activeTape = outer;
  }
}

/** tf.grads(f)(xs, dy), safe inside a custom gradient function. */
export function gradsWithin(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], dy: Tensor): Tensor[] {
  return withOwnTape(() => tf.grads(f)(xs, dy));
}

/** tf.valueAndGrads(f)(xs, dy), safe inside a custom gradient function. */
export function valueAndGradsWithin(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], dy: Tensor): { value: Tensor; grads: Tensor[] } {
  return withOwnTape(() => tf.valueAndGrads(f)(xs, dy));
}

/** True while a gradient tape records (inside tf.grads, tf.variableGrads, optimizer.minimize). */
export function isTaping(): boolean {
  return engine().isTapeOn();
}
