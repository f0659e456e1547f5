/**
 * Mass (and optionally initial-state) estimation from observed positions: minimise the weighted
 * squared position error with Adam, the gradient by the chosen method (ACA by default). Several
 * observation windows (or systems sharing the same masses) are fitted together: each window has
 * its own initial state; the masses are shared and their gradients summed.
 */
import { InvalidArgumentError } from '../errors.ts';
import { Adam } from '../fit/adam.ts';
import { gradient } from '../gradients/gradient.ts';
import type { GradientSettings } from '../gradients/settings.ts';
import { squaredError } from '../losses/loss.ts';
import type { Observations } from './observations.ts';
import { systemField, type GravitySystem } from './system.ts';

export interface Window {
  readonly observations: Observations;
  /** Initial state (r_1..r_N, v_1..v_N) at time t0: known, or the starting guess when fitted. */
  readonly y0: ArrayLike<number>;
  readonly t0?: number;
}

export interface FitTargets {
  readonly masses: boolean;
  readonly positions: boolean;
  readonly velocities: boolean;
}

export interface EstimateOptions {
  /** How gradients are computed (default { method: 'aca' }). */
  readonly gradient?: GradientSettings;
  readonly method?: string;
  readonly rtol?: number;
  readonly atol?: number;
  readonly epochs: number;
  readonly lr: number;
  /** The learning rate is multiplied by lrDecay before every epoch (the paper: 0.95). */
  readonly lrDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly fit?: Partial<FitTargets>;
  readonly initialMasses: ArrayLike<number>;
  /** Observation weights base^(t - t0) (the paper: 0.01); 1 = unweighted. */
  readonly timeWeightBase?: number;
  /** Called after every epoch; return false to stop early. */
  readonly onEpoch?: (epoch: number, loss: number, masses: Float64Array) => void | boolean;
  /** Sums the windows' gradients; default inline. The parallel pool plugs in here. */
  readonly evaluate?: WindowEvaluator;
}

export interface WindowGradient {
  loss: number;
  dp: Float64Array;
  dy0: Float64Array;
  fEvals: number;
  vjpEvals: number;
  peakBytes: number;
}

/** Loss and gradient of every window at the given masses and initial states. */
export type WindowEvaluator = (masses: Float64Array, y0s: Float64Array[]) => Promise<WindowGradient[]> | WindowGradient[];

export interface EstimateResult {
  readonly masses: Float64Array;
  readonly y0s: Float64Array[];
  readonly lossHistory: number[];
  readonly wallMs: number;
  readonly gradientEvaluations: number;
  readonly fEvals: number;
  readonly vjpEvals: number;
  /** The largest number of bytes one gradient evaluation held (checkpoints, tape, workspaces). */
  readonly peakBytes: number;
}

export async function estimate(system: GravitySystem, windows: readonly Window[], options: EstimateOptions): Promise<EstimateResult> {
  const n = system.bodies;
  const d = 6 * n;
  if (windows.length === 0) throw new InvalidArgumentError('windows', windows, 'at least one observation window');
  const fit: FitTargets = { masses: true, positions: false, velocities: false, ...options.fit };
  const masses = Float64Array.from(options.initialMasses);
  if (masses.length !== n) throw new InvalidArgumentError('initialMasses', options.initialMasses, `${n} masses`);
  const y0s = windows.map((w, i) => {
    if (w.y0.length !== d) throw new InvalidArgumentError(`windows[${i}].y0`, w.y0, `${d} numbers (positions then velocities)`);
    const t0 = w.t0 ?? 0;
    const first = w.observations.times[0];
    if (!(first >= t0)) {
      throw new InvalidArgumentError(`windows[${i}].t0`, t0, `a time at or before the window's first observation (${first})`);
    }
    return Float64Array.from(w.y0);
  });
  // The optimised vector: masses, then each window's fitted initial-state components.
  const stateSlots: number[] = [];
  for (let i = 0; i < d; i++) if ((i < 3 * n && fit.positions) || (i >= 3 * n && fit.velocities)) stateSlots.push(i);
  const nTheta = (fit.masses ? n : 0) + windows.length * stateSlots.length;
  if (nTheta === 0) throw new InvalidArgumentError('fit', fit, 'at least one of masses, positions, velocities');
  const theta = new Float64Array(nTheta);
  const grad = new Float64Array(nTheta);
  const pack = () => {
    let q = 0;
    if (fit.masses) for (let b = 0; b < n; b++) theta[q++] = masses[b];
    for (const y0 of y0s) for (const i of stateSlots) theta[q++] = y0[i];
  };
  const unpack = () => {
    let q = 0;
    if (fit.masses) for (let b = 0; b < n; b++) masses[b] = theta[q++];
    for (const y0 of y0s) for (const i of stateSlots) y0[i] = theta[q++];
  };
  pack();

  const evaluate = options.evaluate ?? inlineEvaluator(system, windows, options);
  const adam = new Adam({ lr: options.lr, beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999 });
  const lossHistory: number[] = [];
  let fEvals = 0;
  let vjpEvals = 0;
  let peakBytes = 0;
  let evaluations = 0;
  const start = performance.now();
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    adam.lr *= options.lrDecay ?? 1;
    const results = await evaluate(masses, y0s);
    evaluations += results.length;
    let loss = 0;
    grad.fill(0);
    results.forEach((r, w) => {
      loss += r.loss;
      fEvals += r.fEvals;
      vjpEvals += r.vjpEvals;
      peakBytes = Math.max(peakBytes, r.peakBytes);
      let q = 0;
      if (fit.masses) for (let b = 0; b < n; b++) grad[q++] += r.dp[b];
      q += w * stateSlots.length;
      for (const i of stateSlots) grad[q++] += r.dy0[i];
    });
    lossHistory.push(loss);
    adam.step(theta, grad);
    unpack();
    if (options.onEpoch?.(epoch, loss, masses) === false) break;
  }
  return {
    masses,
    y0s,
    lossHistory,
    wallMs: performance.now() - start,
    gradientEvaluations: evaluations,
    fEvals,
    vjpEvals,
    peakBytes,
  };
}

/** The loss of one window: mean over its times of base^(t - t0) * squared position error. */
export function windowLoss(system: GravitySystem, observations: Observations, t0: number, timeWeightBase: number) {
  const n = 3 * system.bodies;
  const times = observations.times;
  const timeWeights = Float64Array.from(times, (t) => Math.pow(timeWeightBase, t - t0));
  return squaredError(2 * n, {
    target: observations.positions,
    observed: Array.from({ length: n }, (_, i) => i),
    timeWeights,
    reduction: 'mean_time',
  });
}

function inlineEvaluator(system: GravitySystem, windows: readonly Window[], options: EstimateOptions): WindowEvaluator {
  const field = systemField(system);
  const losses = windows.map((w) => windowLoss(system, w.observations, w.t0 ?? 0, options.timeWeightBase ?? 1));
  return (masses, y0s) =>
    windows.map((w, i) => {
      const r = gradient(field, y0s[i], {
        times: w.observations.times,
        t0: w.t0 ?? 0,
        params: masses,
        loss: losses[i],
        method: options.method ?? 'dopri5',
        rtol: options.rtol ?? 1e-7,
        atol: options.atol ?? 1e-7,
        gradient: options.gradient,
        maxSteps: 1_000_000,
      });
      return { loss: r.loss, dp: r.dp, dy0: r.dy0, fEvals: r.stats.fEvals, vjpEvals: r.stats.vjpEvals, peakBytes: r.stats.peakBytes };
    });
}
