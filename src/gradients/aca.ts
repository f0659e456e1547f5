/**
 * ACA, the Adaptive Checkpoint Adjoint (Zhuang et al., ICML 2020; shared/design/aca.md).
 *
 * Forward: the ordinary adaptive solve; rejected attempts leave nothing behind, and every
 * accepted step leaves a checkpoint (t_i, h_i, y_i). Backward: from the last step to the first,
 * recompute the step's stages from its checkpoint with the recorded h_i (or reload them when
 * kept), seed the stage adjoints from the step's uses (the propagated solution and the dense
 * outputs inside the step), and sweep the stages in reverse. The step sizes are constants, so the
 * result is the exact derivative of the discrete forward map with the accepted steps held fixed.
 */
import type { Field } from '../fields/field.ts';
import { Integrator } from '../solvers/integrator.ts';
import { denseWeights } from '../solvers/methods.ts';
import { resolveOptions } from '../solvers/options.ts';
import { allocateStages, computeStages } from '../solvers/stepper.ts';
import { CheckpointStore } from './checkpoints.ts';
import { endTimeDerivatives, evaluateLoss, requireLoss, requireVjp } from './common.ts';
import { StepAdjoint } from './step-adjoint.ts';
import type { GradientOptions, GradientResult } from './types.ts';

const KEEP_STAGES_AUTO_LIMIT = 64 * 1024 * 1024;
/** Stage inputs of a store that keeps none (one shared empty list: the hook runs every step). */
const NO_INPUTS: readonly Float64Array[] = [];

export function acaGradient(field: Field, y0: ArrayLike<number>, options: GradientOptions): GradientResult {
  requireVjp(field);
  requireLoss(options.loss);
  const opts = resolveOptions(field, y0, options);
  const method = opts.method;
  const d = field.dim;
  const s = method.stages;
  const p = opts.params;

  // Forward pass. Each accepted step leaves (t, h, y) and, when stages are kept, its stage
  // inputs Y_1..Y_{s-1}, so that the backward pass evaluates only VJPs. With 'auto' they are
  // kept until they pass the limit; then the store drops them and the backward pass recomputes.
  const keep = options.keepStages ?? 'auto';
  const integrator = new Integrator(field, opts, keep !== false);
  let store = CheckpointStore.take(d, keep === false ? 0 : s - 1);
  const fsalLast = integrator.fsalInputIsSolution;
  const autoLimitSteps = keep === 'auto' ? Math.floor(KEEP_STAGES_AUTO_LIMIT / store.bytesPerStep) : Infinity;
  integrator.run(y0, {
    accepted(t, h, y, _K, it) {
      if (store.stages) {
        if (store.count >= autoLimitSteps) store = dropStages(store);
        else if (fsalLast) it.stageInputs![s - 1].set(it.yNew); // the last stage's input is y_new
      }
      store.push(t, h, y, it.stageInputs ?? NO_INPUTS);
    },
  });
  const outputs = integrator.outputs;
  const times = opts.times;
  const nOut = times.length;
  const g = new Float64Array(outputs.length);
  const loss = evaluateLoss(options.loss, outputs, times, g);

  // Backward pass.
  const K = allocateStages(method.denseStages, d);
  const Y = allocateStages(method.denseStages, d); // stage inputs; Y[0] is the step's start
  const adj = new StepAdjoint(method, d);
  const w = new Float64Array(method.denseStages);
  const a = new Float64Array(d); // dL/d(state at the end of the step being processed)
  const ybar = new Float64Array(d);
  const dp = new Float64Array(field.nParams);
  const { outputStep, outputTheta } = integrator;
  const kept = store.stages !== null;
  let fEvals = 0;
  let k = nOut - 1;

  for (let i = store.count - 1; i >= 0; i--) {
    // Outputs exactly at the end of step i are its end state y_{i+1}.
    while (k >= 0 && outputStep[k] === i && outputTheta[k] === 1) addRow(a, g, k--, d);
    const kHi = k;
    while (k >= 0 && outputStep[k] === i) k--;
    const interior = kHi > k;

    const t = store.times[i];
    const h = store.steps[i];
    // The FSAL last stage has b = 0 and feeds only the dense output: skip it when unused.
    let S = s;
    if (interior && method.denseNeedsExtraStage) S = s + 1;
    else if (!interior && method.fsal) S = s - 1;
    store.load(i, Y);
    if (!kept) {
      computeStages(method, field, t, Y[0], h, p, K, Y[0], 0, S, Y);
      fEvals += S;
    } else if (S > s) {
      // Hermite's extra stage f(t + h, y + h sum b K) needs the stages themselves.
      for (let j = 0; j < s; j++) field.f(t + method.c[j] * h, Y[j], p, K[j]);
      computeStages(method, field, t, Y[0], h, p, K, Y[0], s, S, Y);
      fEvals += S;
    }

    adj.clear(S);
    ybar.set(a);
    for (let j = 0; j < s && j < S; j++) {
      const wj = h * method.b[j];
      if (wj === 0) continue;
      const Kb = adj.Kbar[j];
      for (let q = 0; q < d; q++) Kb[q] = wj * a[q];
    }
    // Dense outputs y_k = y_i + h sum_j w_j(theta_k) K_j inside the step.
    for (let q = kHi; q > k; q--) {
      denseWeights(method, outputTheta[q], w);
      const base = q * d;
      for (let c = 0; c < d; c++) ybar[c] += g[base + c];
      for (let j = 0; j < S; j++) {
        const wj = h * w[j];
        if (wj === 0) continue;
        const Kb = adj.Kbar[j];
        for (let c = 0; c < d; c++) Kb[c] += wj * g[base + c];
      }
    }
    adj.sweep(field, t, h, Y, null, S, p, ybar, dp, false);
    a.set(ybar);
  }
  while (k >= 0) addRow(a, g, k--, d); // outputs at t0

  const { dt0, dt1 } = endTimeDerivatives(field, opts.t0, y0, p, a, times, outputs, g);
  const fwd = { ...integrator.stats };
  const workspaceBytes = (3 * method.denseStages * d + 3 * d + method.denseStages) * 8;
  const checkpoints = store.count;
  const checkpointBytes = store.bytes;
  const acceptedSteps = { t: store.times.slice(0, store.count), h: store.steps.slice(0, store.count) };
  CheckpointStore.give(store);
  return {
    loss,
    dy0: a,
    dp,
    dt0,
    dt1,
    outputs,
    times,
    method: 'aca',
    acceptedSteps,
    stats: {
      forward: fwd,
      fEvals: fwd.fEvals + fEvals + 2,
      vjpEvals: adj.vjpEvals,
      accepted: fwd.accepted,
      rejected: fwd.rejected,
      backwardAccepted: checkpoints,
      backwardRejected: 0,
      checkpoints,
      checkpointBytes,
      peakBytes: checkpointBytes + workspaceBytes,
    },
  };
}

function addRow(a: Float64Array, g: Float64Array, k: number, d: number): void {
  const base = k * d;
  for (let c = 0; c < d; c++) a[c] += g[base + c];
}

/** A store without stages holding the same checkpoints (the 'auto' limit was reached). */
function dropStages(store: CheckpointStore): CheckpointStore {
  const lean = new CheckpointStore(store.dim, 0, Math.max(64, store.count * 2));
  for (let i = 0; i < store.count; i++) lean.push(store.times[i], store.steps[i], store.state(i), []);
  return lean;
}
