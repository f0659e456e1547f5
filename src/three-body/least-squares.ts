/**
 * Masses (and initial states) of a gravitating system from observed positions by least squares:
 * Levenberg-Marquardt (fit/least-squares.ts) on the position residuals of every window, their
 * Jacobian exact for the discrete map (forward sensitivities, gradients/sensitivities.ts), in the
 * inertial frame or in the frame of a central body (heliocentric.ts). Any mass or initial-state
 * component may be held fixed. At the end: standard errors and correlations from the
 * Gauss-Newton covariance, whether the fit converged (the certificate of fit/least-squares.ts),
 * and why not.
 *
 * The residuals are sqrt(w_k) (r_obs - r_model) for every observed position cell, w_k =
 * base^(t_k - t0) (1 by default), summed over the windows (not averaged: the loss's scale does
 * not matter to LM, and the covariance needs |r|^2 itself).
 */
import { AcaError, InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { certificate, covariance, LevenbergMarquardt, sumSquares, type Certificate, type ResidualValue } from '../fit/least-squares.ts';
import { forwardSensitivities, type SensitivitySeed } from '../gradients/sensitivities.ts';
import type { Window } from './estimate.ts';
import { heliocentricField, toHeliocentric } from './heliocentric.ts';
import { solve } from '../solvers/solve.ts';
import { systemField, type GravitySystem } from './system.ts';

export interface LeastSquaresFitOptions {
  /** The central body (0-based) whose position is the origin of the data; undefined: inertial frame. */
  readonly central?: number;
  readonly initialMasses: ArrayLike<number>;
  /** What is fitted (default masses only); `fixed` names exceptions: m1, x2, vz3, ... (1-based). */
  readonly fit?: { readonly masses?: boolean; readonly positions?: boolean; readonly velocities?: boolean };
  readonly fixed?: readonly string[];
  readonly rtol?: number;
  readonly atol?: number;
  readonly iterations?: number;
  readonly ftol?: number;
  readonly xtol?: number;
  readonly gtol?: number;
  readonly timeWeightBase?: number;
  readonly onIteration?: (iteration: number, loss: number) => void;
}

export interface FittedValue {
  /** m1, x2, vz3 (window w > 0: x2@2). */
  readonly name: string;
  readonly start: number;
  readonly value: number;
  readonly standardError: number;
}

export interface LeastSquaresFitResult {
  readonly masses: Float64Array;
  readonly massErrors: Float64Array;
  /** Each window's initial state in the data's frame (inertial: 6N; central: 6N with the central body at 0). */
  readonly y0s: Float64Array[];
  readonly values: readonly FittedValue[];
  readonly correlation: Float64Array | null;
  readonly unidentifiable: readonly string[];
  readonly lossHistory: number[];
  readonly iterations: number;
  readonly reason: string;
  readonly converged: boolean;
  readonly message: string;
  readonly certificate: Certificate;
  readonly wallMs: number;
  readonly fEvals: number;
  /** The central body (0-based), or undefined for the inertial frame. */
  readonly central?: number;
  /** The field the windows were integrated with (its state: `stateOf`). */
  readonly field: Field;
  /** A window's model state (the field's layout) from a data-frame state. */
  readonly stateOf: (y: ArrayLike<number>) => Float64Array;
}

const SOLVER_FAILURES = new Set(['ERR_STEP_SIZE_UNDERFLOW', 'ERR_MAX_STEPS', 'ERR_NON_FINITE']);

export async function fitObservations(system: GravitySystem, windows: readonly Window[], options: LeastSquaresFitOptions): Promise<LeastSquaresFitResult> {
  const N = system.bodies;
  const central = options.central;
  const field = central === undefined ? systemField(system) : heliocentricField(system, central);
  const moving = Array.from({ length: N }, (_, b) => b).filter((b) => b !== central);
  const M = moving.length;
  const d = 6 * M;
  const stateOf = (y: ArrayLike<number>) => (central === undefined ? Float64Array.from(y) : toHeliocentric(y, N, central));
  const stateNames = [...moving.flatMap((b) => ['x', 'y', 'z'].map((a) => `${a}${b + 1}`)), ...moving.flatMap((b) => ['vx', 'vy', 'vz'].map((a) => `${a}${b + 1}`))];
  const fit = { masses: true, positions: false, velocities: false, ...options.fit };
  const fixed = new Set(options.fixed ?? []);
  const known = new Set([...Array.from({ length: N }, (_, b) => `m${b + 1}`), ...stateNames]);
  for (const name of fixed) {
    if (!known.has(name)) throw new InvalidArgumentError('fixed', name, `a mass (m1..m${N}) or a state component of the fitted frame (${stateNames.join(', ')})`);
  }
  const masses = Float64Array.from(options.initialMasses);
  if (masses.length !== N) throw new InvalidArgumentError('initialMasses', options.initialMasses, `${N} masses`);
  const y0s = windows.map((w) => stateOf(w.y0));

  // theta: the fitted masses, then each window's fitted state components.
  const massSlots = fit.masses ? Array.from({ length: N }, (_, b) => b).filter((b) => !fixed.has(`m${b + 1}`)) : [];
  const stateSlots = Array.from({ length: d }, (_, i) => i).filter(
    (i) => ((i < 3 * M && fit.positions) || (i >= 3 * M && fit.velocities)) && !fixed.has(stateNames[i]),
  );
  const W = windows.length;
  const n = massSlots.length + W * stateSlots.length;
  if (n === 0) throw new InvalidArgumentError('fit', fit, 'at least one value to fit (all are fixed)');
  const names = [
    ...massSlots.map((b) => `m${b + 1}`),
    ...windows.flatMap((_, w) => stateSlots.map((i) => (W > 1 ? `${stateNames[i]}@${w + 1}` : stateNames[i]))),
  ];
  const theta = new Float64Array(n);
  massSlots.forEach((b, q) => (theta[q] = masses[b]));
  y0s.forEach((y0, w) => stateSlots.forEach((i, s) => (theta[massSlots.length + w * stateSlots.length + s] = y0[i])));
  const start = Float64Array.from(theta);
  const lower = Float64Array.from({ length: n }, (_, q) => (q < massSlots.length ? 0 : -Infinity));

  // Observed cells: the moving bodies' position columns that are not NaN.
  const cells = windows.map((w) => {
    const list: { k: number; state: number; column: number; weight: number }[] = [];
    const K = w.observations.times.length;
    const base = options.timeWeightBase ?? 1;
    for (let k = 0; k < K; k++) {
      const weight = Math.sqrt(Math.pow(base, w.observations.times[k] - (w.t0 ?? 0)));
      moving.forEach((b, mb) => {
        for (let a = 0; a < 3; a++) {
          const column = 3 * b + a;
          if (!Number.isNaN(w.observations.positions[k * 3 * N + column])) list.push({ k, state: 3 * mb + a, column, weight });
        }
      });
    }
    return list;
  });
  const m = cells.reduce((s, c) => s + c.length, 0);
  let fEvals = 0;

  const unpack = (x: ArrayLike<number>) => {
    const p = Float64Array.from(masses);
    massSlots.forEach((b, q) => (p[b] = x[q]));
    const ys = y0s.map((y0, w) => {
      const y = Float64Array.from(y0);
      stateSlots.forEach((i, s) => (y[i] = x[massSlots.length + w * stateSlots.length + s]));
      return y;
    });
    return { p, ys };
  };
  const seeds: SensitivitySeed[] = [...massSlots.map((b) => ({ target: 'params' as const, index: b })), ...stateSlots.map((i) => ({ target: 'initial' as const, index: i }))];
  const ns = seeds.length;
  const residuals = (x: Float64Array): ResidualValue => {
    const { p, ys } = unpack(x);
    const r = new Float64Array(m);
    const J = new Float64Array(m * n);
    let row = 0;
    windows.forEach((w, wi) => {
      const sens = forwardSensitivities(field, ys[wi], {
        times: w.observations.times,
        t0: w.t0 ?? 0,
        params: p,
        rtol: options.rtol ?? 1e-10,
        atol: options.atol ?? 1e-12,
        maxSteps: 10_000_000,
      }, seeds);
      fEvals += sens.stats.fEvals;
      const P3 = 3 * N;
      for (const cell of cells[wi]) {
        const obs = w.observations.positions[cell.k * P3 + cell.column];
        r[row] = cell.weight * (sens.outputs[cell.k * d + cell.state] - obs);
        const base = (cell.k * d + cell.state) * ns;
        for (let q = 0; q < massSlots.length; q++) J[row * n + q] = cell.weight * sens.jacobian[base + q];
        const offset = massSlots.length + wi * stateSlots.length;
        for (let s = 0; s < stateSlots.length; s++) J[row * n + offset + s] = cell.weight * sens.jacobian[base + massSlots.length + s];
        row++;
      }
    });
    return { r, J };
  };
  const trial = (x: Float64Array): ResidualValue => {
    try {
      return residuals(x);
    } catch (error) {
      if (error instanceof AcaError && SOLVER_FAILURES.has(error.code)) return { r: new Float64Array(m).fill(Infinity), J: new Float64Array(m * n) };
      throw error;
    }
  };

  const began = performance.now();
  const lm = new LevenbergMarquardt({ ftol: options.ftol, xtol: options.xtol, gtol: options.gtol, lower });
  const iterations = options.iterations ?? 100;
  let value = residuals(theta);
  const lossHistory = [sumSquares(value.r)];
  options.onIteration?.(0, lossHistory[0]);
  let reason = 'iterations';
  let done = 0;
  for (; done < iterations; ) {
    await Promise.resolve();
    const step = await lm.step(theta, value, trial);
    if (step.value !== value) {
      value = step.value;
      done++;
      lossHistory.push(step.cost);
      options.onIteration?.(done, step.cost);
    }
    if (step.status !== 'ok') {
      reason = step.status;
      break;
    }
  }
  const cert = certificate(theta, value, lower);
  const ftol = options.ftol ?? 1e-8;
  const converged = reason !== 'iterations' && reason !== 'no-progress' && (cert.gradientCosine <= (options.gtol ?? 1e-8) || cert.gaussNewtonReduction <= Math.max(10 * ftol, 1e-14));
  const cov = covariance(value, n);
  const { p, ys } = unpack(theta);
  const massErrors = new Float64Array(N);
  massSlots.forEach((b, q) => (massErrors[b] = cov.standardErrors[q]));
  const gap = `a Gauss-Newton step would still lower the loss by ${(100 * cert.gaussNewtonReduction).toPrecision(2)}%`;
  const message = converged
    ? ''
    : reason === 'iterations'
      ? `iteration limit reached; ${gap} (raise --iterations)`
      : reason === 'no-progress'
        ? `no step lowers the loss; ${gap} (the orbits may have diverged from the data: check the frame (--central), the units, the starting state, or tighten --rtol)`
        : `stopped by ${reason} away from a minimum; ${gap}`;
  return {
    masses: p,
    massErrors,
    y0s: ys.map((y) => fromModelState(y, N, central)),
    values: names.map((name, q) => ({ name, start: start[q], value: theta[q], standardError: cov.standardErrors[q] })),
    correlation: cov.correlation,
    unidentifiable: cov.unidentifiable.map((q) => names[q]),
    lossHistory,
    iterations: done,
    reason,
    converged,
    message,
    certificate: cert,
    wallMs: performance.now() - began,
    fEvals,
    central,
    field,
    stateOf,
  };
}

/** A model state back in the data's layout (6N; the central body at the origin, at rest). */
function fromModelState(y: Float64Array, N: number, central: number | undefined): Float64Array {
  if (central === undefined) return y;
  const out = new Float64Array(6 * N);
  let k = 0;
  for (let b = 0; b < N; b++) {
    if (b === central) continue;
    for (let a = 0; a < 3; a++) {
      out[3 * b + a] = y[3 * k + a];
      out[3 * N + 3 * b + a] = y[3 * (N - 1) + 3 * k + a];
    }
    k++;
  }
  return out;
}

/** The fitted positions (K x 3N, the data's layout and frame) of a window at its observation times. */
export function fittedPositions(result: LeastSquaresFitResult, window: Window, w: number, options: { rtol?: number; atol?: number } = {}): Float64Array {
  const N = result.masses.length;
  const y0 = result.stateOf(result.y0s[w]);
  const times = window.observations.times;
  const sol = solve(result.field, y0, { times, t0: window.t0 ?? 0, params: result.masses, rtol: options.rtol ?? 1e-10, atol: options.atol ?? 1e-12, maxSteps: 10_000_000 });
  const d = result.field.dim;
  const M = d / 6;
  const central = M === N ? undefined : result.central;
  const out = new Float64Array(times.length * 3 * N);
  for (let k = 0; k < times.length; k++) {
    let mb = 0;
    for (let b = 0; b < N; b++) {
      if (b === central) continue;
      for (let a = 0; a < 3; a++) out[k * 3 * N + 3 * b + a] = sol.y[k * d + 3 * mb + a];
      mb++;
    }
  }
  return out;
}
