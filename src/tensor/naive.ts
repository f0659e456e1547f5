/**
 * Naive back-propagation through the whole adaptive solve (the seed paper's other baseline):
 * every attempt, accepted or rejected, runs under the caller's gradient tape, and so does the
 * step-size control. The step size is a scalar tensor,
 *
 *   h_new = |h| clip(safety err^(-1/(q+1)), factorMin, factorMax)      (integral controller)
 *
 * with err the error-norm tensor of the attempt, so the gradient also flows through the
 * controller's choices (which is not part of the true gradient: docs/design.md, "naive"). Accept or
 * reject is decided on err's value (one dataSync per attempt); the landing step's size is
 * t1 - t with t the running sum of the accepted step tensors. The first step's size is a
 * constant (Hairer's algorithm on values). Memory grows with every attempt's stages: nothing is
 * freed until the caller's tidy ends.
 */
import { MaxStepsExceededError, StepSizeUnderflowError } from '../errors.ts';
import { bindField, type TensorField } from './conv-field.ts';
import type { Span } from './integrate.ts';
import { errorNormTensor, initialStepTensor, rkStep, type TensorTuple } from './rk.ts';
import type { OdeBlockStats } from './stats.ts';
import { read, runSync, type Reading } from './reads.ts';
import { tf, type Tensor } from './tf.ts';

export function naiveBlock(field: TensorField, params: readonly Tensor[], x: Tensor, span: Span, stats: OdeBlockStats): Tensor {
  return runSync(naiveSteps(field, params, x, span, stats));
}

/**
 * The taped solve as a generator of reads (reads.ts). On backends without synchronous reads it is
 * run once untaped by runAsync, which records the values it read, and then again under the tape
 * by runReplay with those values: the same operations, so the same decisions and the same graph.
 */
export function* naiveSteps(field: TensorField, params: readonly Tensor[], x: Tensor, span: Span, stats: OdeBlockStats): Reading<Tensor> {
  const { method, t0, t1, rtol, atol, controller } = span;
  const f = bindField(field, params);
  const dir = t1 > t0 ? 1 : -1;
  const q = method.errorOrder;
  let y: TensorTuple = [x];
  let k0: TensorTuple = f(t0, y);
  stats.fEvals++;
  let hValue: number;
  if (span.fixedSteps > 0) hValue = Math.abs(t1 - t0) / span.fixedSteps;
  else if (span.firstStep !== null) hValue = span.firstStep;
  else {
    hValue = yield* initialStepTensor(f, t0, y, k0, dir, method.order, rtol, atol);
    stats.fEvals++;
  }
  hValue = Math.min(hValue, Math.abs(t1 - t0));
  let h: Tensor = tf.scalar(hValue);
  let t = t0;
  let tTensor: Tensor = tf.scalar(t0);
  let errPrev: Tensor = tf.scalar(1);
  let attempts = 0;
  let acceptedHere = 0;
  while (t !== t1) {
    if (attempts++ >= span.maxSteps) throw new MaxStepsExceededError(t, span.maxSteps, t1);
    let hs: Tensor = dir > 0 ? h : tf.neg(h);
    let hsValue = dir * hValue;
    const lastFixed = span.fixedSteps > 0 && acceptedHere === span.fixedSteps - 1;
    const landing = lastFixed || dir * (t + hsValue - t1) >= 0;
    if (landing) {
      hs = tf.sub(t1, tTensor);
      hsValue = t1 - t;
    }
    if (Math.abs(hsValue) <= 4 * Number.EPSILON * Math.abs(t)) {
      throw new StepSizeUnderflowError(t, hsValue, 4 * Number.EPSILON * Math.abs(t));
    }
    const step = rkStep(method, f, t, y, hs, hsValue, k0);
    stats.fEvals += method.stages - 1;
    let err: Tensor | null = null;
    let errValue = 0;
    if (step.error) {
      err = errorNormTensor(step.error, y, step.next, rtol, atol);
      errValue = yield* read(err, true);
    }
    const accepted = errValue <= 1; // NaN is a rejection
    const absHs = tf.abs(hs);
    if (accepted) {
      stats.forwardAccepted++;
      acceptedHere++;
      y = step.next;
      tTensor = tf.add(tTensor, hs);
      t = landing ? t1 : t + hsValue;
      if (t !== t1) {
        k0 = step.lastStage ?? f(t, y);
        if (!step.lastStage) stats.fEvals++;
      }
    } else {
      stats.forwardRejected++;
    }
    if (!method.adaptive) continue;
    let factor: Tensor;
    if (err === null || Number.isNaN(errValue)) {
      factor = tf.scalar(controller.factorMin);
    } else {
      const safeErr = tf.maximum(err, 1e-10);
      let raw: Tensor;
      if (controller.kind === 'pi' && accepted) {
        raw = tf.mul(tf.mul(controller.safety, tf.pow(safeErr, -0.7 / (q + 1))), tf.pow(errPrev, 0.4 / (q + 1)));
      } else {
        raw = tf.mul(controller.safety, tf.pow(safeErr, -1 / (q + 1)));
      }
      factor = tf.clipByValue(raw, controller.factorMin, accepted ? controller.factorMax : 1);
      if (accepted) errPrev = tf.maximum(err, 1e-4);
    }
    h = tf.mul(absHs, factor);
    hValue = Math.abs(hsValue) * (yield* read(factor, true));
  }
  return y[0];
}
