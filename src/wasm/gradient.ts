/**
 * ACA's gradient on the WebAssembly back end: the forward solve with checkpoints in the module,
 * the loss in JavaScript, the backward sweep in the module, the end-time derivatives as
 * gradients/common.ts computes them. Same steps and, operation for operation, the same
 * arithmetic as the TypeScript ACA with kept stages (gradients/aca.ts), so the results agree to
 * the last bit (tests/wasm/gradient.test.ts). gradient.ts calls it for each evaluation of ACA
 * without the stage-keeping settings (keepStages true/false, keptStagesLimitBytes).
 */
import type { Field } from '../fields/field.ts';
import { endTimeDerivatives, evaluateLoss, requireFiniteGradient } from '../gradients/common.ts';
import type { GradientSettings } from '../gradients/settings.ts';
import type { GradientOptions, GradientResult } from '../gradients/types.ts';
import type { ResolvedOptions } from '../solvers/options.ts';
import { InvalidArgumentError } from '../errors.ts';
import { BACKENDS, chooseBackend, wasmSolver, type BackendChoice, type WasmForward } from './backend.ts';

const SHARED_ACA_KEYS = ['method', 'toleranceFactor', 'accuracy', 'maxRefinements'];

/** The back end for a gradient: WebAssembly only for ACA with its default settings. */
export function gradientBackend(
  field: Field,
  options: ResolvedOptions,
  requested: GradientOptions['backend'],
  settings: GradientSettings,
): BackendChoice {
  // Tolerance scaling and accuracy refinement happen in the driver around each evaluation;
  // only the stage-keeping knobs are the TypeScript ACA's own (this back end keeps every stage).
  const keepStages = (settings as { keepStages?: unknown }).keepStages;
  const defaultAca =
    settings.method === 'aca' &&
    Object.keys(settings).every((k) => SHARED_ACA_KEYS.includes(k) || (k === 'keepStages' && keepStages === 'auto'));
  if (defaultAca) return chooseBackend(field, options, requested, true);
  if (requested !== undefined && !BACKENDS.includes(requested)) {
    throw new InvalidArgumentError('backend', requested, "'auto', 'js' or 'wasm'");
  }
  const reason = `the WebAssembly back end computes ACA with default settings only (gradient: ${JSON.stringify(settings)})`;
  if (requested === 'wasm') throw new InvalidArgumentError('backend', 'wasm', `a back end these settings allow: ${reason}`);
  return { backend: 'js', reason };
}

/** One ACA evaluation at the (already scaled) options opts (gradient.ts evaluate()). */
export function wasmGradient(field: Field, y0: ArrayLike<number>, lossFn: NonNullable<GradientOptions['loss']>, opts: ResolvedOptions): GradientResult {
  const solver = wasmSolver(field, opts.method, true);
  const start = Float64Array.from(y0);
  const times = opts.times;
  const dy0 = new Float64Array(field.dim);
  const dp = new Float64Array(field.nParams);
  let forward: WasmForward;
  let loss: number;
  let g: Float64Array;
  let vjpEvals: number;
  solver.busy = true;
  try {
    forward = solver.solve(opts, start, true);
    g = new Float64Array(forward.outputs.length);
    loss = evaluateLoss(lossFn, forward.outputs, times, g);
    ({ vjpEvals } = solver.backward(forward, g, dy0, dp));
  } finally {
    solver.busy = false;
  }
  requireFiniteGradient(opts.t0, dy0, dp);
  const { outputs } = forward;
  const { dt0, dt1 } = endTimeDerivatives(field, opts.t0, start, opts.params, dy0, times, outputs, g);
  const fwd = { ...forward.stats };
  const checkpoints = forward.checkpoints;
  return {
    loss,
    dy0,
    dp,
    events: [],
    dt0,
    dt1,
    outputs,
    times,
    method: 'aca',
    acceptedSteps: solver.acceptedSteps(forward),
    stats: {
      forward: fwd,
      fEvals: fwd.fEvals + 2, // + 2: the end-time derivatives (the stage inputs are kept)
      vjpEvals,
      accepted: fwd.accepted,
      rejected: fwd.rejected,
      backwardAccepted: checkpoints,
      backwardRejected: 0,
      checkpoints,
      checkpointBytes: checkpoints * solver.layout.checkpointSlots * 8,
      peakBytes: solver.memory.buffer.byteLength,
      backend: 'wasm',
    },
  };
}
