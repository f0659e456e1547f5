/**
 * Events: zero crossings of user functions g(t, y, p) located on each accepted step's dense
 * interpolant (docs/events.md).
 *
 * Detection. A sign change of g inside a step is looked for at `samples` equally spaced points
 * of the step's interpolant (default 4), as diffrax and DifferentialEquations.jl do, so two
 * roots inside one step are not missed as long as they lie in different sample intervals; a
 * plain end-point test would miss any pair of roots within one step. Sampling costs no f
 * evaluation: the interpolant is y + h sum_j w_j(theta) K_j (methods.ts denseWeights).
 *
 * Location. The root in the bracketing sample interval is found by Brent's method (R. P. Brent,
 * Algorithms for Minimization without Derivatives, 1973, ch. 4; the variant of scipy's brentq)
 * on theta -> g(t + theta h, y(theta)). It runs until t* = t + theta h moves by less than a few
 * ulps of t, not to the solver's tolerance: the interpolant costs no f evaluation, and a root
 * converged to rounding is what makes the event time an exact function of the discrete solution
 * (its gradient, gradients/event-adjoint.ts, is then the derivative of the discrete map by the
 * implicit function theorem).
 *
 * Direction: 'up' counts crossings from g < 0 to g >= 0, 'down' from g > 0 to g <= 0, 'both'
 * either. Right after an event fires, its g is taken as exactly 0 at the restart point, so the
 * root it stopped on does not fire again (whatever rounding left in g(t*, y*)). A g that starts a
 * step at exactly 0 is looked at once more just inside the step (theta = 1e-6), which gives the
 * side the solution leaves to: a bounce whose next root falls in the first sample interval (a
 * ball's low hop after a long, exactly integrated step) is then still found.
 *
 * Terminal events and resets. An event with `terminal: N` ends the solve at its N-th occurrence
 * (true = 1); one with a `reset` map continues from (t*, reset(t*, y*)) after every occurrence
 * that does not end the solve. Both cut the step at t* (the integrator's step ends there, at the
 * interpolated state); other events are only recorded.
 */
import { AcaError, InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { denseWeights, denseWeightsDerivative, type PreparedMethod } from './methods.ts';

export type EventDirection = 'up' | 'down' | 'both';

/** An event as the user writes it (library form; specs compile theirs into this, spec/events.ts). */
export interface EventSpec {
  readonly name: string;
  /** The event function; an event is a zero of g along the solution. Must not allocate. */
  g(t: number, y: Float64Array, p: Float64Array): number;
  /** Which sign changes count (default 'both'). */
  readonly direction?: EventDirection;
  /** End the solve at the first (true) or N-th occurrence; default false (record only). */
  readonly terminal?: boolean | number;
  /** State reset at each non-terminating occurrence: out <- R(t*, y*, p) (e.g. a bounce v -> -e v). */
  reset?(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  /**
   * For gradients through the event: writes dg/dy into outY and dg/dp into outP (both
   * overwritten) and returns dg/dt.
   */
  gradient?(t: number, y: Float64Array, p: Float64Array, outY: Float64Array, outP: Float64Array): number;
  /**
   * For gradients through the reset: outY <- a^T dR/dy (overwritten), outP += a^T dR/dp (added),
   * returns a^T dR/dt.
   */
  resetVjp?(t: number, y: Float64Array, p: Float64Array, a: Float64Array, outY: Float64Array, outP: Float64Array): number;
}

/** One occurrence of an event. */
export interface EventRecord {
  readonly name: string;
  /** Index of the event in the events list. */
  readonly event: number;
  readonly t: number;
  /** The state at t (before any reset). */
  readonly y: Float64Array;
  /** The state the solve continued from after a reset, else null. */
  readonly yAfter: Float64Array | null;
  /** dy/dt of the interpolant at t (the slope the event time's derivative needs). */
  readonly slope: Float64Array;
  /** Index of the accepted step the event lies in, and its position theta in (0, 1] there. */
  readonly step: number;
  readonly theta: number;
  /** Whether the step was cut at this event (a reset or the end of the solve), and whether it ended the solve. */
  readonly cut: boolean;
  readonly terminated: boolean;
}

/** A root where g is flat: its time has no derivative (dg/dt along the solution is 0). */
export class EventGradientError extends AcaError {
  constructor(name: string, t: number, slope: number) {
    super(
      'ERR_EVENT_GRADIENT',
      `event "${name}" at t = ${t}: dg/dt along the solution is ${slope}, so the event time has no ` +
        `derivative (a tangential crossing); the gradient through it is undefined`,
    );
  }
}

/** The step the locator scans: the integrator's current accepted step (integrator.ts). */
export interface DenseStep {
  readonly method: PreparedMethod;
  readonly t: number;
  readonly h: number;
  readonly y: Float64Array;
  readonly yNew: Float64Array;
  readonly stages: readonly Float64Array[];
  /** Whether the step was shortened to land on t1 or an output time (integrator.ts Landing), and there. */
  readonly landing: number;
  readonly target: number;
  /** Makes the dense-output stage valid (Hermite's extra f evaluation for non-FSAL methods). */
  ensureDense(): void;
}

const DIRECTIONS: readonly EventDirection[] = ['up', 'down', 'both'];

/** Checks a list of events; `path` names it in messages. */
export function checkEvents(events: unknown, field: Field, path = 'events'): readonly EventSpec[] {
  if (!Array.isArray(events)) throw new InvalidArgumentError(path, events, 'an array of { name, g, direction?, terminal?, reset? }');
  const names = new Set<string>();
  events.forEach((e: EventSpec, k) => {
    const at = `${path}[${k}]`;
    if (e === null || typeof e !== 'object') throw new InvalidArgumentError(at, e, 'an object { name, g, ... }');
    if (typeof e.name !== 'string' || e.name === '') throw new InvalidArgumentError(`${at}.name`, e.name, 'a non-empty string');
    if (names.has(e.name)) throw new InvalidArgumentError(`${at}.name`, e.name, 'a name not used by another event');
    names.add(e.name);
    if (typeof e.g !== 'function') throw new InvalidArgumentError(`${at}.g`, e.g, 'a function (t, y, p) => number');
    if (e.direction !== undefined && !DIRECTIONS.includes(e.direction)) {
      throw new InvalidArgumentError(`${at}.direction`, e.direction, "'up', 'down' or 'both'");
    }
    const term = e.terminal;
    if (term !== undefined && typeof term !== 'boolean' && !(Number.isInteger(term) && (term as number) >= 1)) {
      throw new InvalidArgumentError(`${at}.terminal`, term, 'true, false or a count of occurrences >= 1');
    }
    for (const key of ['reset', 'gradient', 'resetVjp'] as const) {
      if (e[key] !== undefined && typeof e[key] !== 'function') throw new InvalidArgumentError(`${at}.${key}`, e[key], 'a function');
    }
    if (field.dim < 1) throw new InvalidArgumentError('field.dim', field.dim, 'a positive integer');
  });
  return events as EventSpec[];
}

/** Occurrences at which an event ends the solve (Infinity: never). */
function terminalCount(e: EventSpec): number {
  const t = e.terminal;
  return t === true ? 1 : typeof t === 'number' ? t : Infinity;
}

/**
 * Finds events in accepted steps. One per solve; its workspaces are allocated once, so scanning a
 * step allocates nothing unless an event occurs.
 */
export class EventLocator {
  readonly records: EventRecord[] = [];
  /** After scan() returned true: where the step is cut, the state there, and the state to go on from. */
  cutT = NaN;
  cutTheta = NaN;
  readonly cutState: Float64Array;
  readonly nextState: Float64Array;
  /** A terminal event ended the solve. */
  terminated = false;
  /** Per accepted step: 1 when it was shortened to land (its size depends on its start time). */
  landed = new Uint8Array(64);

  private readonly dir: Int8Array;
  private readonly limit: Float64Array;
  private readonly count: Int32Array;
  private readonly gLast: Float64Array;
  /** Where in the current step each gLast was taken (theta). */
  private readonly thetaLast: Float64Array;
  private readonly gNow: Float64Array;
  private readonly yTheta: Float64Array;
  private readonly w: Float64Array;
  /** The interpolant at the interior sample points q/m (q = 1..m-1), filled in one pass per step. */
  private readonly sampled: Float64Array[];
  /** Their dense weights: sampleW[(q - 1) * denseStages + j] = w_j(q/m). */
  private readonly sampleW: Float64Array;
  /** The same for three points and at most seven stages, padded to 3 x 7 with zeros. */
  private readonly sampleW7 = new Float64Array(21);
  /** Events crossing in the sample interval being resolved: event index and root. */
  private readonly hitEvent: Int32Array;
  private readonly hitTheta: Float64Array;
  private stepIndex = 0;

  constructor(
    readonly events: readonly EventSpec[],
    readonly dim: number,
    readonly params: Float64Array,
    readonly method: PreparedMethod,
    readonly samples = 4,
  ) {
    const denseStages = method.denseStages;
    const n = events.length;
    this.dir = Int8Array.from(events, (e) => (e.direction === 'up' ? 1 : e.direction === 'down' ? -1 : 0));
    this.limit = Float64Array.from(events, terminalCount);
    this.count = new Int32Array(n);
    this.gLast = new Float64Array(n);
    this.thetaLast = new Float64Array(n);
    this.gNow = new Float64Array(n);
    this.yTheta = new Float64Array(dim);
    this.cutState = new Float64Array(dim);
    this.nextState = new Float64Array(dim);
    this.w = new Float64Array(denseStages);
    this.sampled = Array.from({ length: samples - 1 }, () => new Float64Array(dim));
    this.sampleW = new Float64Array((samples - 1) * denseStages);
    for (let q = 1; q < samples; q++) {
      denseWeights(method, q / samples, this.w);
      this.sampleW.set(this.w, (q - 1) * denseStages);
      if (samples === 4 && denseStages <= 7) this.sampleW7.set(this.w, (q - 1) * 7);
    }
    this.hitEvent = new Int32Array(n);
    this.hitTheta = new Float64Array(n);
  }

  /** The values of g at the start of the solve. */
  start(t: number, y: Float64Array): void {
    const { events, params } = this;
    for (let k = 0; k < events.length; k++) this.gLast[k] = events[k].g(t, y, params);
    this.records.length = 0;
    this.count.fill(0);
    this.landed.fill(0);
    this.terminated = false;
  }

  /**
   * Scans the accepted step `step` (its index among accepted steps is `index`) for events, records
   * them, and returns whether the step is cut (then cutT, cutTheta, cutState and nextState are set,
   * and `terminated` when the solve ends there).
   */
  scan(step: DenseStep, index: number): boolean {
    const { events, params, gLast, gNow } = this;
    const n = events.length;
    const m = this.samples;
    const t = step.t;
    const h = step.h;
    this.stepIndex = index;
    if (index >= this.landed.length) {
      const grown = new Uint8Array(2 * this.landed.length);
      grown.set(this.landed);
      this.landed = grown;
    }
    this.landed[index] = step.landing !== 0 ? 1 : 0;
    let denseReady = false;
    const thetaLast = this.thetaLast;
    // Loops rather than fill/set: for a few events the call costs more than the copy.
    for (let k = 0; k < n; k++) thetaLast[k] = 0;
    for (let k = 0; k < n; k++) {
      if (gLast[k] !== 0) continue;
      if (!denseReady) step.ensureDense(), (denseReady = true);
      const yq = this.interpolate(step, LEAVE_THETA, this.yTheta);
      gLast[k] = events[k].g(t + LEAVE_THETA * h, yq, params);
      thetaLast[k] = LEAVE_THETA;
    }
    if (m > 1) {
      if (!denseReady) step.ensureDense(), (denseReady = true);
      this.sampleInterior(step);
    }
    for (let q = 1; q <= m; q++) {
      const theta = q / m;
      const tq = q === m ? stepEnd(step) : t + theta * h;
      const yq = q === m ? step.yNew : this.sampled[q - 1];
      let hits = 0;
      for (let k = 0; k < n; k++) {
        const gq = events[k].g(tq, yq, params);
        gNow[k] = gq;
        if (crosses(this.dir[k], gLast[k], gq)) {
          this.hitEvent[hits] = k;
          this.hitTheta[hits++] = NaN;
        }
      }
      if (hits === 0) {
        for (let k = 0; k < n; k++) (gLast[k] = gNow[k]), (thetaLast[k] = theta);
        continue;
      }
      if (!denseReady) step.ensureDense(), (denseReady = true);
      for (let r = 0; r < hits; r++) {
        const k = this.hitEvent[r];
        this.hitTheta[r] = this.locate(step, k, thetaLast[k], theta, gLast[k], gNow[k]);
      }
      // The hits of this interval in time order; the first that cuts the step ends the scan.
      for (let done = 0; done < hits; done++) {
        let best = done;
        for (let r = done + 1; r < hits; r++) if (this.hitTheta[r] < this.hitTheta[best]) best = r;
        swapHit(this.hitEvent, this.hitTheta, done, best);
        const k = this.hitEvent[done];
        if (this.fire(step, k, this.hitTheta[done])) return true;
      }
      for (let k = 0; k < n; k++) (gLast[k] = gNow[k]), (thetaLast[k] = theta);
    }
    return false;
  }

  /** Records event k at theta; returns whether it cuts the step (and prepares the restart). */
  private fire(step: DenseStep, k: number, theta: number): boolean {
    const e = this.events[k];
    const d = this.dim;
    // A root within a few ulps of the step's end is at its end: a restart a few ulps short of t1
    // (or of a landing target) would leave a remainder no step can take.
    const end = stepEnd(step);
    if (theta !== 1 && Math.abs(end - (step.t + theta * step.h)) <= 4 * Number.EPSILON * Math.abs(end)) theta = 1;
    const t = theta === 1 ? end : step.t + theta * step.h;
    const y = theta === 1 ? Float64Array.from(step.yNew) : this.interpolate(step, theta, new Float64Array(d));
    const slope = new Float64Array(d);
    denseWeightsDerivative(step.method, theta, this.w);
    for (let j = 0; j < step.method.denseStages; j++) {
      const wj = this.w[j];
      if (wj === 0) continue;
      const Kj = step.stages[j];
      for (let i = 0; i < d; i++) slope[i] += wj * Kj[i];
    }
    const occurrence = ++this.count[k];
    const terminated = occurrence >= this.limit[k];
    const cut = terminated || e.reset !== undefined;
    let yAfter: Float64Array | null = null;
    if (cut) {
      this.cutT = t;
      this.cutTheta = theta;
      this.cutState.set(y);
      this.terminated = terminated;
      if (!terminated) {
        e.reset!(t, y, this.params, this.nextState);
        yAfter = Float64Array.from(this.nextState);
        // The values of g at the restart point; the event that fired sits on its root.
        for (let r = 0; r < this.events.length; r++) this.gLast[r] = r === k ? 0 : this.events[r].g(t, yAfter, this.params);
      } else {
        this.nextState.set(y);
      }
    }
    this.records.push({ name: e.name, event: k, t, y, yAfter, slope, step: this.stepIndex, theta, cut, terminated });
    return cut;
  }

  /**
   * The interpolant at the interior sample points, three at a time in the default case: each
   * stage is read once for all of them. (Sign changes only: Brent re-evaluates the interpolant
   * itself, so these may round differently from interpolate().)
   */
  private sampleInterior(step: DenseStep): void {
    const { y, h, stages } = step;
    const d = this.dim;
    const sd = this.method.denseStages;
    const W = this.sampleW;
    const out = this.sampled;
    if (out.length === 3 && sd <= 7) {
      // One pass over the components with up to seven stages and three points held in locals
      // (unused stages get weight 0 and point at stage 0).
      const [o1, o2, o3] = out;
      const W7 = this.sampleW7;
      const Z = stages[0];
      const K0 = Z, K1 = sd > 1 ? stages[1] : Z, K2 = sd > 2 ? stages[2] : Z, K3 = sd > 3 ? stages[3] : Z;
      const K4 = sd > 4 ? stages[4] : Z, K5 = sd > 5 ? stages[5] : Z, K6 = sd > 6 ? stages[6] : Z;
      const a0 = h * W7[0], a1 = h * W7[1], a2 = h * W7[2], a3 = h * W7[3], a4 = h * W7[4], a5 = h * W7[5], a6 = h * W7[6];
      const b0 = h * W7[7], b1 = h * W7[8], b2 = h * W7[9], b3 = h * W7[10], b4 = h * W7[11], b5 = h * W7[12], b6 = h * W7[13];
      const c0 = h * W7[14], c1 = h * W7[15], c2 = h * W7[16], c3 = h * W7[17], c4 = h * W7[18], c5 = h * W7[19], c6 = h * W7[20];
      for (let i = 0; i < d; i++) {
        const yi = y[i];
        const k0 = K0[i], k1 = K1[i], k2 = K2[i], k3 = K3[i], k4 = K4[i], k5 = K5[i], k6 = K6[i];
        o1[i] = yi + a0 * k0 + a1 * k1 + a2 * k2 + a3 * k3 + a4 * k4 + a5 * k5 + a6 * k6;
        o2[i] = yi + b0 * k0 + b1 * k1 + b2 * k2 + b3 * k3 + b4 * k4 + b5 * k5 + b6 * k6;
        o3[i] = yi + c0 * k0 + c1 * k1 + c2 * k2 + c3 * k3 + c4 * k4 + c5 * k5 + c6 * k6;
      }
      return;
    }
    for (let q = 0; q < out.length; q++) {
      const o = out[q];
      for (let i = 0; i < d; i++) {
        let a = 0;
        for (let j = 0; j < sd; j++) a += W[q * sd + j] * stages[j][i];
        o[i] = y[i] + h * a;
      }
    }
  }

  /** out <- the step's interpolant at theta: y + h sum_j w_j(theta) K_j. */
  private interpolate(step: DenseStep, theta: number, out: Float64Array): Float64Array {
    const { method, y, h, stages } = step;
    const d = this.dim;
    denseWeights(method, theta, this.w);
    for (let i = 0; i < d; i++) out[i] = y[i];
    for (let j = 0; j < method.denseStages; j++) {
      const wj = h * this.w[j];
      if (wj === 0) continue;
      const Kj = stages[j];
      for (let i = 0; i < d; i++) out[i] += wj * Kj[i];
    }
    return out;
  }

  /** The root of event k in [a, b] (theta), g(a) = ga and g(b) = gb of opposite signs (or gb = 0). */
  private locate(step: DenseStep, k: number, a: number, b: number, ga: number, gb: number): number {
    const e = this.events[k];
    const p = this.params;
    const yt = this.yTheta;
    const phi = (theta: number) => e.g(step.t + theta * step.h, this.interpolate(step, theta, yt), p);
    // crosses() never counts a start at exactly 0 (a restart's forced value), so ga != 0 here.
    // Converged when theta moves t* by less than its own rounding (a few ulps of t).
    const xtol = (4 * Number.EPSILON * Math.max(Math.abs(step.t), Math.abs(step.t + step.h))) / Math.abs(step.h);
    return brent(phi, a, b, ga, gb, xtol);
  }
}

/** The end time of a step: exactly its target when it landed (t + h may differ by an ulp). */
function stepEnd(step: DenseStep): number {
  return step.landing !== 0 ? step.target : step.t + step.h;
}

/** Where a g that starts a step at exactly 0 is looked at again (see the header). */
const LEAVE_THETA = 1e-6;

/** Whether g going from a to b is a crossing in direction dir (1 up, -1 down, 0 both). */
function crosses(dir: number, a: number, b: number): boolean {
  const up = a < 0 && b >= 0;
  const down = a > 0 && b <= 0;
  return dir > 0 ? up : dir < 0 ? down : up || down;
}

function swapHit(ev: Int32Array, th: Float64Array, i: number, j: number): void {
  const e = ev[i];
  ev[i] = ev[j];
  ev[j] = e;
  const t = th[i];
  th[i] = th[j];
  th[j] = t;
}

/**
 * Brent's root finder on [xa, xb] with f(xa) = fa, f(xb) = fb of opposite signs (scipy's brentq,
 * scipy/optimize/Zeros/brentq.c, after Brent 1973): inverse quadratic interpolation or secant
 * steps, bisection when they do not shrink the bracket fast enough. Converges to a few ulps.
 */
export function brent(f: (x: number) => number, xa: number, xb: number, fa: number, fb: number, xtol = 4 * Number.EPSILON, maxIter = 100): number {
  const rtol = 4 * Number.EPSILON;
  let xpre = xa, xcur = xb, fpre = fa, fcur = fb;
  let xblk = 0, fblk = 0, spre = 0, scur = 0;
  if (fpre === 0) return xpre;
  if (fcur === 0) return xcur;
  for (let i = 0; i < maxIter; i++) {
    if (fpre !== 0 && fcur !== 0 && (fpre < 0) !== (fcur < 0)) {
      xblk = xpre;
      fblk = fpre;
      spre = scur = xcur - xpre;
    }
    if (Math.abs(fblk) < Math.abs(fcur)) {
      xpre = xcur, xcur = xblk, xblk = xpre;
      fpre = fcur, fcur = fblk, fblk = fpre;
    }
    const delta = (xtol + rtol * Math.abs(xcur)) / 2;
    const sbis = (xblk - xcur) / 2;
    if (fcur === 0 || Math.abs(sbis) < delta) return xcur;
    if (Math.abs(spre) > delta && Math.abs(fcur) < Math.abs(fpre)) {
      let stry: number;
      if (xpre === xblk) {
        stry = (-fcur * (xcur - xpre)) / (fcur - fpre);
      } else {
        const dpre = (fpre - fcur) / (xpre - xcur);
        const dblk = (fblk - fcur) / (xblk - xcur);
        stry = (-fcur * (fblk * dblk - fpre * dpre)) / (dblk * dpre * (fblk - fpre));
      }
      if (2 * Math.abs(stry) < Math.min(Math.abs(spre), 3 * Math.abs(sbis) - delta)) {
        spre = scur;
        scur = stry;
      } else {
        spre = sbis;
        scur = sbis;
      }
    } else {
      spre = sbis;
      scur = sbis;
    }
    xpre = xcur;
    fpre = fcur;
    xcur += Math.abs(scur) > delta ? scur : sbis > 0 ? delta : -delta;
    fcur = f(xcur);
  }
  return xcur;
}
