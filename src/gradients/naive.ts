/**
 * 'naive': reverse-mode differentiation through everything the forward solve ran
 * (docs/design.md, "naive"). Every attempt, accepted or rejected, is taped (start state,
 * stages, error norm, controller inputs), and the backward pass runs through the whole chain:
 * stages, the propagated solution, the dense outputs (including their dependence on t and h
 * through theta), the error norm and the step-size updates
 *   h_new = min(|h| clip(safety err^(-beta1) errPrev^(beta2), fmin, fmax), maxStep),
 * whose err depends on y and p. Its gradient therefore contains the derivative of the step-size
 * choice, which is not part of the true gradient; memory grows with the number of attempts.
 *
 * The first step size is differentiated too (Hairer's initial-step algorithm depends on y0 and
 * p; gradients/initial-step-adjoint.ts), so the result equals finite differences of the whole
 * adaptive solve with the default options. Held constant, as documented limits: a user's
 * firstStep, and f's explicit dependence on t along the h path (exact for autonomous fields).
 */
import { InvalidArgumentError } from '../errors.ts';
import { stepFactorWithDerivatives } from '../solvers/controller.ts';
import { Landing, type Integrator, type StepRecord } from '../solvers/integrator.ts';
import { denseWeights, denseWeightsDerivative } from '../solvers/methods.ts';
import { stageInput } from '../solvers/stepper.ts';
import type { BackwardStats, ForwardProblem, GradientMethod } from './method.ts';
import { checkKeys, type NaiveSettings } from './settings.ts';
import { initialStepAdjoint } from './initial-step-adjoint.ts';
import { StepAdjoint } from './step-adjoint.ts';

/** The record of every attempt, in order. */
class Tape {
  count = 0;
  private cap = 64;
  t = new Float64Array(64);
  hs = new Float64Array(64);
  err = new Float64Array(64);
  errPrev = new Float64Array(64);
  landing = new Uint8Array(64);
  accepted = new Uint8Array(64);
  stagesKept = new Uint8Array(64);
  target = new Float64Array(64);
  states: Float64Array;
  stages: Float64Array;

  constructor(readonly dim: number, readonly stagesPerAttempt: number) {
    this.states = new Float64Array(64 * dim);
    this.stages = new Float64Array(64 * stagesPerAttempt * dim);
  }

  push(step: StepRecord): void {
    if (this.count === this.cap) this.grow();
    const n = this.count++;
    const d = this.dim;
    this.t[n] = step.t;
    this.hs[n] = step.h;
    this.err[n] = step.err;
    this.errPrev[n] = step.errPrev;
    this.landing[n] = step.landing;
    this.accepted[n] = step.accepted ? 1 : 0;
    this.target[n] = step.target;
    this.stagesKept[n] = step.method.stages;
    this.states.set(step.y, n * d);
    const base = n * this.stagesPerAttempt * d;
    for (let j = 0; j < step.method.stages; j++) this.stages.set(step.stages[j], base + j * d);
  }

  /** Keeps the dense-output stage of the last attempt (non-FSAL Hermite). */
  pushDenseStage(K: Float64Array): void {
    const n = this.count - 1;
    const j = this.stagesKept[n];
    this.stages.set(K, (n * this.stagesPerAttempt + j) * this.dim);
    this.stagesKept[n] = j + 1;
  }

  loadStages(n: number, K: Float64Array[], count: number): void {
    const d = this.dim;
    const base = n * this.stagesPerAttempt * d;
    for (let j = 0; j < count; j++) K[j].set(this.stages.subarray(base + j * d, base + (j + 1) * d));
  }

  get bytes(): number {
    return this.count * ((1 + this.stagesPerAttempt) * this.dim * 8 + 5 * 8 + 3);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const d = this.dim;
    const f64 = (a: Float64Array, n: number) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.t = f64(this.t, cap);
    this.hs = f64(this.hs, cap);
    this.err = f64(this.err, cap);
    this.errPrev = f64(this.errPrev, cap);
    this.target = f64(this.target, cap);
    this.landing = u8(this.landing);
    this.accepted = u8(this.accepted);
    this.stagesKept = u8(this.stagesKept);
    this.states = f64(this.states, cap * d);
    this.stages = f64(this.stages, cap * this.stagesPerAttempt * d);
    this.cap = cap;
  }
}

export const naive: GradientMethod<NaiveSettings> = {
  name: 'naive',
  check(settings, path) {
    checkKeys(settings, path);
  },
  start(problem) {
    const method = problem.options.method;
    if (method.implicit) {
      // Its tape would have to differentiate the Newton iterations (and the Jacobian refreshes
      // and LU reuse decisions) of every attempt: refused rather than half-done.
      throw new InvalidArgumentError(
        'gradient.method',
        'naive',
        `the naive method does not differentiate through the implicit method ${method.name} (its tape would run through Newton's iterations); use { method: 'aca' }, which differentiates the converged stages exactly`,
      );
    }
    const s = method.stages;
    const tape = new Tape(problem.field.dim, method.denseStages);
    return {
      keepStageInputs: false,
      observer: {
        attempt(step: StepRecord) {
          tape.push(step);
        },
        accepted(step: StepRecord) {
          if (method.denseNeedsExtraStage && step.denseStageValid) tape.pushDenseStage(step.stages[s]);
        },
      },
      backward: (forward, g, dy0, dp) => naiveBackward(problem, tape, forward, g, dy0, dp),
    };
  },
};

/** The reverse sweep over the tape, last attempt first. */
function naiveBackward(
  problem: ForwardProblem,
  tape: Tape,
  integrator: Integrator,
  g: Float64Array,
  dy0: Float64Array,
  dp: Float64Array,
): BackwardStats {
  const { field, options: opts } = problem;
  const method = opts.method;
  const d = field.dim;
  const s = method.stages;
  const p = opts.params;
  const dir = opts.direction;
  const times = opts.times;

  // Map accepted-step index -> attempt index, for the outputs.
  const { outputStep, outputTheta } = integrator;
  const K = Array.from({ length: method.denseStages }, () => new Float64Array(d));
  const Y = Array.from({ length: method.denseStages }, () => new Float64Array(d)); // stage inputs
  const adj = new StepAdjoint(method, d);
  const w = new Float64Array(method.denseStages);
  const wPrime = new Float64Array(method.denseStages);
  const yNew = new Float64Array(d);
  const E = new Float64Array(d);
  const E3 = new Float64Array(d);
  const ybar = dy0; // adjoint of the state after the attempt being processed; dL/dy0 at the end
  const yNewBar = new Float64Array(d);
  const yIn = new Float64Array(d);
  let tbar = 0; // adjoint of the time after the attempt
  let hbar = 0; // adjoint of the proposed step magnitude after the attempt
  let epbar = 0; // adjoint of errPrev after the attempt
  let k = times.length - 1;
  let acceptedIndex = integrator.stats.accepted;
  const ctl = opts.controller;
  const q = method.errorOrder;

  for (let n = tape.count - 1; n >= 0; n--) {
    const t = tape.t[n];
    const hs = tape.hs[n];
    const habs = Math.abs(hs);
    const err = tape.err[n];
    const landing = tape.landing[n];
    const y = tape.states.subarray(n * d, (n + 1) * d);
    const S = tape.stagesKept[n];
    tape.loadStages(n, K, S);
    adj.clear(S);
    let hsBar = 0;
    let habsBar = 0;
    let errBar = 0;
    let tIn = 0;
    let epIn = epbar;
    yIn.fill(0);
    yNewBar.fill(0);

    if (tape.accepted[n]) {
      acceptedIndex--;
      if (method.adaptive) {
        // h' = min(|h| F(err, errPrev), maxStep);  errPrev' = max(err, 1e-4)
        const fd = stepFactorWithDerivatives(ctl, q, err, tape.errPrev[n], true);
        if (habs * fd.factor < opts.maxStep) {
          habsBar += hbar * fd.factor;
          const Fbar = hbar * habs;
          errBar += Fbar * fd.dErr;
          epIn = Fbar * fd.dErrPrev;
        } else {
          epIn = 0;
        }
        if (err > 1e-4) errBar += epbar;
      }
      yNewBar.set(ybar);
      // Outputs from this step: at its end (y_new) or inside (dense output).
      while (k >= 0 && outputStep[k] === acceptedIndex) {
        const theta = outputTheta[k];
        const base = k * d;
        if (theta === 1) {
          for (let c = 0; c < d; c++) yNewBar[c] += g[base + c];
        } else {
          // y_k = y + hs sum_j w_j(theta) K_j, theta = (t_k - t) / hs
          denseWeights(method, theta, w);
          denseWeightsDerivative(method, theta, wPrime);
          let thetaBar = 0;
          for (let c = 0; c < d; c++) yIn[c] += g[base + c];
          for (let j = 0; j < S; j++) {
            const Kj = K[j];
            const Kb = adj.Kbar[j];
            let dot = 0;
            for (let c = 0; c < d; c++) {
              Kb[c] += hs * w[j] * g[base + c];
              dot += Kj[c] * g[base + c];
            }
            hsBar += w[j] * dot;
            thetaBar += hs * wPrime[j] * dot;
          }
          tIn -= thetaBar / hs;
          hsBar -= (thetaBar * theta) / hs;
        }
        k--;
      }
      // t' = t + hs, or the landing target (a constant).
      if (landing === Landing.None) {
        tIn += tbar;
        hsBar += tbar;
      }
    } else {
      // Rejected: h' = |h| F(err) (no growth), t' = t, y' = y, errPrev' = errPrev.
      const fd = stepFactorWithDerivatives(ctl, q, err, tape.errPrev[n], false);
      habsBar += hbar * fd.factor;
      errBar += hbar * habs * fd.dErr;
      tIn += tbar;
      for (let c = 0; c < d; c++) yIn[c] += ybar[c];
    }

    // yNew = y + hs sum_j b_j K_j (needed for the error norm's scale too).
    yNew.set(y);
    for (let j = 0; j < s; j++) {
      const wj = hs * method.b[j];
      if (wj === 0) continue;
      for (let c = 0; c < d; c++) yNew[c] += wj * K[j][c];
    }

    if (errBar !== 0 && method.adaptive && err > 0 && Number.isFinite(err)) {
      hsBar += errorNormAdjoint(method.e!, method.e3, s, hs, K, y, yNew, opts.rtol, opts.atol, errBar, E, E3, adj.Kbar, yIn, yNewBar);
    }

    for (let c = 0; c < d; c++) yIn[c] += yNewBar[c];
    for (let j = 0; j < s; j++) {
      const bj = method.b[j];
      if (bj === 0) continue;
      let dot = 0;
      const Kb = adj.Kbar[j];
      for (let c = 0; c < d; c++) {
        Kb[c] += hs * bj * yNewBar[c];
        dot += K[j][c] * yNewBar[c];
      }
      hsBar += bj * dot;
    }

    Y[0].set(y);
    for (let j = 1; j < S; j++) stageInput(method, j, y, hs, K, Y[j]);
    hsBar += adj.sweep(field, t, hs, Y, K, S, p, yIn, dp, true);

    hsBar += dir * habsBar;
    let hIn = 0;
    if (landing !== Landing.None) tIn -= hsBar; // hs = target - t
    else hIn = dir * hsBar; // hs = dir * hProposed
    ybar.set(yIn);
    tbar = tIn;
    hbar = hIn;
    epbar = epIn;
  }
  while (k >= 0) {
    for (let c = 0; c < d; c++) ybar[c] += g[k * d + c];
    k--;
  }
  // hbar is now dL/d(first step size): through Hairer's initial-step algorithm into y0 and p.
  const initialVjps = initialStepAdjoint(field, problem.y0, opts, hbar, dy0, dp);

  const workspaceBytes = (3 * method.denseStages * d + 8 * d) * 8;
  return {
    fEvals: 0,
    vjpEvals: adj.vjpEvals + initialVjps,
    accepted: 0,
    rejected: 0,
    checkpoints: tape.count,
    checkpointBytes: tape.bytes,
    peakBytes: tape.bytes + workspaceBytes,
  };
}

/**
 * Reverse of err = RMS(E_i / sc_i), E = hs sum_j e_j K_j, sc_i = atol_i + rtol_i max(|y_i|,
 * |yNew_i|) (and DOP853's err = err5^2 / sqrt(err5^2 + 0.01 err3^2)). Adds into Kbar, yBar,
 * yNewBar; returns the part of dL/dhs.
 */
function errorNormAdjoint(
  e: Float64Array,
  e3: Float64Array | null,
  s: number,
  hs: number,
  K: Float64Array[],
  y: Float64Array,
  yNew: Float64Array,
  rtol: Float64Array,
  atol: Float64Array,
  errBar: number,
  E: Float64Array,
  E3: Float64Array,
  Kbar: Float64Array[],
  yBar: Float64Array,
  yNewBar: Float64Array,
): number {
  const n = y.length;
  const norm = (weights: Float64Array, out: Float64Array): number => {
    out.fill(0);
    for (let j = 0; j < s; j++) {
      const wj = hs * weights[j];
      if (wj === 0) continue;
      for (let c = 0; c < n; c++) out[c] += wj * K[j][c];
    }
    let sum = 0;
    for (let c = 0; c < n; c++) {
      const sc = atol[c] + rtol[c] * Math.max(Math.abs(y[c]), Math.abs(yNew[c]));
      sum += (out[c] / sc) ** 2;
    }
    return Math.sqrt(sum / n);
  };
  let hsBar = 0;
  const back = (weights: Float64Array, Ev: Float64Array, normValue: number, bar: number) => {
    if (bar === 0 || normValue === 0) return;
    for (let c = 0; c < n; c++) {
      const ay = Math.abs(y[c]);
      const an = Math.abs(yNew[c]);
      const sc = atol[c] + rtol[c] * Math.max(ay, an);
      const Ebar = (bar * Ev[c]) / (sc * sc * n * normValue);
      const scBar = -(bar * Ev[c] * Ev[c]) / (sc * sc * sc * n * normValue);
      if (ay >= an) yBar[c] += scBar * rtol[c] * Math.sign(y[c]);
      else yNewBar[c] += scBar * rtol[c] * Math.sign(yNew[c]);
      Ev[c] = Ebar; // reuse as the adjoint of E
    }
    for (let j = 0; j < s; j++) {
      const ej = weights[j];
      if (ej === 0) continue;
      let dot = 0;
      const Kb = Kbar[j];
      for (let c = 0; c < n; c++) {
        Kb[c] += hs * ej * Ev[c];
        dot += K[j][c] * Ev[c];
      }
      hsBar += ej * dot;
    }
  };
  const err5 = norm(e, E);
  if (!e3) {
    back(e, E, err5, errBar);
    return hsBar;
  }
  const err3 = norm(e3, E3);
  const D = Math.sqrt(err5 * err5 + 0.01 * err3 * err3);
  const d5 = (2 * err5) / D - (err5 * err5 * err5) / (D * D * D);
  const d3 = -(err5 * err5 * 0.01 * err3) / (D * D * D);
  back(e, E, err5, errBar * d5);
  back(e3, E3, err3, errBar * d3);
  return hsBar;
}
