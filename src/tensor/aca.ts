/**
 * ACA on an ODE block (docs/design.md, "ACA"; Zhuang et al., ICML 2020).
 *
 * Forward: the adaptive loop of integrate.ts, untaped; each attempt in its own tf.tidy; only the
 * accepted steps' start states y_i are kept, with their t_i and h_i as numbers.
 * Backward, given a = dL/dy(t1): for i = N-1 .. 0, recompute step i from y_i with h_i held fixed
 * under tfjs's gradient tape, and pull a back through it with tf.grads(step)([y_i, p], a):
 * a <- dL/dy_i, dL/dp += the step's parameter part. Each step's graph is freed before the next.
 * The result is the exact gradient of the discrete forward map with the accepted steps fixed.
 */
import type { PreparedMethod } from '../solvers/methods.ts';
import { bindField, type TensorField } from './conv-field.ts';
import { integrate, type Span } from './integrate.ts';
import { rkStep } from './rk.ts';
import type { OdeBlockStats } from './stats.ts';
import { gradsWithin } from './tape.ts';
import { tf, type Tensor } from './tf.ts';

export function acaBlock(field: TensorField, params: readonly Tensor[], x: Tensor, span: Span, stats: OdeBlockStats): Tensor {
  const block = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (tensors: Tensor[]) => void;
    const [x0, ...p] = args as Tensor[];
    const loop = { accepted: 0, rejected: 0, fEvals: 0 };
    const { final, checkpoints } = integrate(bindField(field, p), [x0], span, loop, true);
    stats.forwardAccepted += loop.accepted;
    stats.forwardRejected += loop.rejected;
    stats.fEvals += loop.fEvals;
    // save() keeps clones (same data) until backprop; the forward's own tensors are freed by the
    // tidy that customGrad runs this function in.
    save(checkpoints.map((c) => c.state[0]));
    const steps = checkpoints.map((c) => ({ t: c.t, h: c.h }));
    return {
      value: final[0],
      gradFunc: (dy: Tensor, saved: Tensor[]) => acaBackward(span.method, field, p, steps, saved, dy, stats),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return block(x, ...params);
}

/** Pulls dy back through the recorded steps; returns [dL/dx, dL/dp_1, ...]. */
export function acaBackward(
  method: PreparedMethod,
  field: TensorField,
  params: readonly Tensor[],
  steps: readonly { t: number; h: number }[],
  states: readonly Tensor[],
  dy: Tensor,
  stats: OdeBlockStats,
): Tensor[] {
  stats.backwardCalls++;
  let a = dy;
  let paramGrads: Tensor[] | null = null;
  for (let i = steps.length - 1; i >= 0; i--) {
    const { t, h } = steps[i];
    const stepMap = (y: Tensor, ...p: Tensor[]): Tensor => {
      const f = bindField(field, p);
      return rkStep(method, f, t, [y], h, h, f(t, [y])).next[0];
    };
    const grads = gradsWithin(stepMap, [states[i], ...params], a);
    stats.fEvals += method.stages;
    stats.vjpEvals += method.stages;
    if (a !== dy) a.dispose();
    a = grads[0];
    const stepParamGrads = grads.slice(1);
    if (paramGrads === null) paramGrads = stepParamGrads;
    else {
      const sums: Tensor[] = paramGrads.map((acc, k) => tf.add(acc, stepParamGrads[k]));
      tf.dispose(paramGrads);
      tf.dispose(stepParamGrads);
      paramGrads = sums;
    }
  }
  return [a === dy ? tf.clone(dy) : a, ...(paramGrads ?? params.map((p) => tf.zerosLike(p)))];
}
