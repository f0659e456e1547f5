/**
 * The continuous adjoint on an ODE block (Chen et al., NeurIPS 2018), the seed paper's baseline.
 *
 * Forward: the adaptive loop, keeping only y(t1). Backward: integrate the augmented system
 *
 *   dy/dt = f(t, y),  da/dt = -a^T df/dy,  dg/dt = -a^T df/dp,   y(t1), a(t1) = dL/dy(t1), g(t1) = 0
 *
 * from t1 down to t0 with the same tableau and controller (tolerances adjointRtol/adjointAtol;
 * error norm the largest per-component RMS over y, a and g, as torchdiffeq did then). The VJPs
 * come from tf.valueAndGrads with a as the upstream gradient. Then dL/dx = a(t0), dL/dp = g(t0).
 * The y(t) it reconstructs backwards is not the forward one, so neither is the gradient.
 */
import { bindField, type TensorField } from './conv-field.ts';
import { integrate, integrateSteps, type Span } from './integrate.ts';
import { runSync, type Reading } from './reads.ts';
import type { TensorTuple } from './rk.ts';
import type { OdeBlockStats } from './stats.ts';
import { valueAndGradsWithin } from './tape.ts';
import { tf, type Tensor } from './tf.ts';

export function adjointBlock(
  field: TensorField,
  params: readonly Tensor[],
  x: Tensor,
  span: Span,
  backwardSpan: Span,
  stats: OdeBlockStats,
): Tensor {
  const block = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as (tensors: Tensor[]) => void;
    const [x0, ...p] = args as Tensor[];
    const loop = { accepted: 0, rejected: 0, fEvals: 0 };
    const { final } = integrate(bindField(field, p), [x0], span, loop, false);
    stats.forwardAccepted += loop.accepted;
    stats.forwardRejected += loop.rejected;
    stats.fEvals += loop.fEvals;
    save([final[0]]);
    return {
      value: final[0],
      gradFunc: (dy: Tensor, saved: Tensor[]) => adjointBackward(field, p, saved[0], dy, backwardSpan, stats),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return block(x, ...params);
}

/** Integrates (y, a, g) from t1 back to t0; returns [a(t0), g_1(t0), ...]. */
export function adjointBackward(
  field: TensorField,
  params: readonly Tensor[],
  yEnd: Tensor,
  dy: Tensor,
  backwardSpan: Span,
  stats: OdeBlockStats,
): Tensor[] {
  return runSync(adjointBackwardSteps(field, params, yEnd, dy, backwardSpan, stats));
}

/** adjointBackward as a generator of reads (reads.ts). */
export function* adjointBackwardSteps(
  field: TensorField,
  params: readonly Tensor[],
  yEnd: Tensor,
  dy: Tensor,
  backwardSpan: Span,
  stats: OdeBlockStats,
): Reading<Tensor[]> {
  stats.backwardCalls++;
  const augmented = (t: number, z: readonly Tensor[]): TensorTuple => {
    const { value, grads } = valueAndGradsWithin((y, ...p) => field.apply(t, y, p), [z[0], ...params], z[1]);
    const out = [value, ...grads.map((g) => tf.neg(g))];
    tf.dispose(grads);
    return out;
  };
  const zeros = params.map((p) => tf.zerosLike(p));
  const loop = { accepted: 0, rejected: 0, fEvals: 0 };
  const { final } = yield* integrateSteps(augmented, [yEnd, dy, ...zeros], backwardSpan, loop, false);
  tf.dispose(zeros);
  stats.backwardAccepted += loop.accepted;
  stats.backwardRejected += loop.rejected;
  stats.fEvals += loop.fEvals;
  stats.vjpEvals += loop.fEvals;
  final[0].dispose();
  return final.slice(1);
}

