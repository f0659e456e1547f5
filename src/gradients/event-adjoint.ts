/**
 * Gradients through events (docs/events.md, "Gradients"). An event in the accepted step
 * (t_i, h, y_i) sits at t* = t_i + theta h with g(t_i + theta h, Y(theta; y_i, p), p) = 0, Y the
 * step's interpolant. By the implicit function theorem (as in torchdiffeq's odeint_event, Chen,
 * Amos & Nickel, "Learning Neural Event Functions for ODEs", ICLR 2021, eq. 4),
 *
 *   h dtheta = -(g_t dt_i + g_y . dY|_theta + g_p dp) / D,   D = g_t + g_y . ydot,
 *
 * ydot = (dY/dtheta) / h the interpolant's slope at t*. For a loss with dL/dt* = T and dL/dy* = c (direct, plus what flows back through a reset
 * and the solve after it), collapses to three terms per event (mu = (T + c . ydot) / D,
 * D = g_t + g_y . ydot, ydot the interpolant's slope at t*):
 *
 *   the interpolated state y* gets the cotangent c - mu g_y   (a dense output of its step: ACA
 *                                                              differentiates it like any other)
 *   dL/dp += -mu g_p
 *   dL/dt_i += T - mu g_t                                     (t_i: the start time of the step)
 *
 * Steps after a cut start at t* plus fixed step sizes, so dL/dt_i travels back unchanged (tau)
 * to the event that cut the step before, where it joins that event's T. With the accepted steps
 * held fixed and the root converged to rounding (events.ts), this is the exact derivative of the
 * discrete map. A reset y+ = R(t*, y*, p) adds a^T R_y to c, a^T R_p to dL/dp and a^T R_t to T,
 * with a the adjoint of the state the solve went on from.
 *
 * Output times after a reset sit at positions theta_k = (T_k - t_i) / h of steps whose t_i moves
 * with t*: each adds -g_k . ydot_k to dL/dt_i, and a step shortened to land on an output time or
 * t1 (h = target - t_i) adds -dL/dh (through its weights, its outputs' positions and, from the
 * reverse sweep, its stages) and ends the chain: the steps after it start at a fixed time
 * (timeTerms, called by ACA for those steps).
 *
 * Limit: the field's explicit time dependence after a reset is not followed (the stage times
 * t_i + c_j h move with t*): exact for autonomous fields.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { EventGradientError, type EventLocator, type EventRecord, type EventSpec } from '../solvers/events.ts';
import type { Integrator } from '../solvers/integrator.ts';
import { denseWeights, denseWeightsDerivative, type PreparedMethod } from '../solvers/methods.ts';
import type { ResolvedOptions } from '../solvers/options.ts';

/**
 * A loss on the events of a solve: returns its value and writes dL/dt of each event into gradT
 * (length events.length) and dL/dy into gradY (events.length x d, row-major). Both start zeroed.
 */
export type EventLoss = (events: readonly EventRecord[], gradT: Float64Array, gradY: Float64Array) => number;

/** The event seeds of the ACA backward pass, step by step from the last. */
export class EventAdjoint {
  /** Whether step i starts at a reset's event time plus fixed step sizes (its start moves with it). */
  shifted(i: number): boolean {
    return i > this.firstCutStep;
  }

  /** Whether step i was shortened to land on t1 or an output time. */
  landing(i: number): boolean {
    return this.landed[i] === 1;
  }

  /**
   * The part of dL/dt_i of a shifted step (t_i its start time) that does not go through its
   * stages, with K the step's stages (the first S): outputs at fixed times T_k sit at
   * theta_k = (T_k - t_i) / h, so each adds -g_k . ydot_k; a step that lands (h = target - t_i)
   * also depends on t_i through h: this returns -(dL/dh without the stage terms) plus the outputs'
   * (theta_k - 1) g_k . ydot_k, and the caller subtracts the stage terms (StepAdjoint.sweep's
   * dL/dh). a is the adjoint of the step's end; outputs q in (kLow, kTop] are the step's, the
   * event seeds those of the last seed().
   */
  timeTerms(i: number, S: number, K: readonly Float64Array[], a: Float64Array, g: Float64Array, theta: Float64Array, kTop: number, kLow: number, seeds: number): number {
    const { method, w, wd, dots } = this;
    const d = this.field.dim;
    const landing = this.landing(i);
    const sd = Math.min(S, method.denseStages);
    let direct = 0;
    for (let q = kTop; q > kLow; q--) {
      const th = theta[q];
      if (landing && th === 1) continue; // part of the end state: in a . sum b K below
      stageDots(g, q * d, K, sd, d, dots);
      denseWeightsDerivative(method, th, wd);
      let slope = 0;
      for (let j = 0; j < sd; j++) slope += wd[j] * dots[j];
      if (!landing) {
        direct -= slope;
        continue;
      }
      denseWeights(method, th, w);
      let value = 0;
      for (let j = 0; j < sd; j++) value += w[j] * dots[j];
      direct += (th - 1) * slope - value;
    }
    if (!landing) return direct;
    stageDots(a, 0, K, sd, d, dots);
    for (let j = 0; j < Math.min(sd, method.stages); j++) direct -= method.b[j] * dots[j];
    for (let n = 0; n < seeds; n++) {
      stageDots(this.seedCot, n * d, K, sd, d, dots);
      denseWeights(method, this.seedTheta[n], w);
      let value = 0;
      for (let j = 0; j < sd; j++) value += w[j] * dots[j];
      direct -= value + this.seedTheta[n] * this.seedTime[n];
    }
    return direct;
  }

  /** Seeds of the step last passed to seed(): interpolant positions and cotangents (rows). */
  readonly seedTheta: Float64Array;
  readonly seedCot: Float64Array;
  /** The seeds' dL/d(start time of their step), T - mu g_t (for a landing step's size). */
  readonly seedTime: Float64Array;
  /** dL/d(start time of the step being processed), carried back between cuts. */
  tau = 0;
  private cursor: number;
  private readonly c: Float64Array;
  private readonly gy: Float64Array;
  private readonly gp: Float64Array;
  private readonly ry: Float64Array;

  /** Steps after this one start at a reset's event time plus fixed sizes (Infinity: no reset). */
  private readonly firstCutStep: number;
  private readonly w: Float64Array;
  private readonly wd: Float64Array;
  private readonly dots: Float64Array;

  constructor(
    readonly field: Field,
    readonly method: PreparedMethod,
    /** Per accepted step: it was shortened to land on t1 or an output time (EventLocator.landed). */
    readonly landed: Uint8Array,
    readonly specs: readonly EventSpec[],
    readonly records: readonly EventRecord[],
    readonly params: Float64Array,
    readonly gradT: Float64Array,
    readonly gradY: Float64Array,
  ) {
    const d = field.dim;
    this.cursor = records.length - 1;
    this.seedTheta = new Float64Array(records.length);
    this.seedCot = new Float64Array(records.length * d);
    this.seedTime = new Float64Array(records.length);
    const first = records.find((r) => r.cut && !r.terminated);
    this.firstCutStep = first ? first.step : Infinity;
    this.wd = new Float64Array(method.denseStages);
    this.w = new Float64Array(method.denseStages);
    this.dots = new Float64Array(method.denseStages);
    this.c = new Float64Array(d);
    this.gy = new Float64Array(d);
    this.gp = new Float64Array(field.nParams);
    this.ry = new Float64Array(d);
  }

  /**
   * The events in accepted step i, latest first: fills the seeds and returns their number, adds
   * into dp. `a` is the adjoint of the step's end; when the step was cut it is the adjoint of
   * the state the solve went on from, consumed here (set to 0: the uncut end is not used).
   */
  seed(i: number, a: Float64Array, dp: Float64Array): number {
    const { records, field, params, c, gy, gp, ry } = this;
    const d = field.dim;
    let n = 0;
    // A step that landed on an output time or t1 ends at a fixed time: the steps after it do not
    // move with the event times before it (unless an event cut it: then they start at t*).
    const latest = this.cursor >= 0 && records[this.cursor].step === i ? records[this.cursor] : null;
    if (this.shifted(i) && this.landing(i) && !latest?.cut) this.tau = 0;
    while (this.cursor >= 0 && records[this.cursor].step === i) {
      const r = records[this.cursor--];
      const spec = this.specs[r.event];
      const index = this.cursor + 1;
      for (let q = 0; q < d; q++) c[q] = this.gradY[index * d + q];
      let T = this.gradT[index];
      if (r.cut) {
        T += this.tau;
        this.tau = 0;
        if (r.yAfter !== null) {
          if (nonzero(a) && typeof spec.resetVjp !== 'function') {
            throw new InvalidArgumentError(`events[${r.event}].resetVjp`, spec.resetVjp, `a function: the gradient flows through the reset of "${r.name}"`);
          }
          if (nonzero(a)) {
            T += spec.resetVjp!(r.t, r.y, params, a, ry, dp);
            for (let q = 0; q < d; q++) c[q] += ry[q];
          }
        } else {
          for (let q = 0; q < d; q++) c[q] += a[q];
        }
        a.fill(0);
      }
      if (typeof spec.gradient !== 'function') {
        throw new InvalidArgumentError(`events[${r.event}].gradient`, spec.gradient, `a function (t, y, p, outY, outP) => dg/dt: the gradient flows through "${r.name}"`);
      }
      const gt = spec.gradient(r.t, r.y, params, gy, gp);
      let D = gt;
      let cs = T;
      for (let q = 0; q < d; q++) {
        D += gy[q] * r.slope[q];
        cs += c[q] * r.slope[q];
      }
      if (!(Math.abs(D) > 0) || !Number.isFinite(D)) throw new EventGradientError(r.name, r.t, D);
      const mu = cs / D;
      this.seedTheta[n] = r.theta;
      const base = n * d;
      for (let q = 0; q < d; q++) this.seedCot[base + q] = c[q] - mu * gy[q];
      for (let q = 0; q < gp.length; q++) dp[q] -= mu * gp[q];
      this.seedTime[n] = T - mu * gt;
      this.tau += T - mu * gt;
      n++;
    }
    return n;
  }
}

/** dots[j] <- row[base .. base + d) . K_j for j < sd. */
function stageDots(row: Float64Array, base: number, K: readonly Float64Array[], sd: number, d: number, dots: Float64Array): void {
  for (let j = 0; j < sd; j++) {
    const Kj = K[j];
    let dot = 0;
    for (let c = 0; c < d; c++) dot += row[base + c] * Kj[c];
    dots[j] = dot;
  }
}

function nonzero(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return true;
  return false;
}

/** The event loss's value and gradients (zeros without a loss). */
export function evaluateEventLoss(
  loss: EventLoss | undefined,
  records: readonly EventRecord[],
  dim: number,
): { value: number; gradT: Float64Array; gradY: Float64Array } {
  const gradT = new Float64Array(records.length);
  const gradY = new Float64Array(records.length * dim);
  let value = 0;
  if (loss !== undefined) {
    if (typeof loss !== 'function') throw new InvalidArgumentError('eventLoss', loss, 'a function (events, gradT, gradY) => number');
    value = loss(records, gradT, gradY);
    if (!Number.isFinite(value)) throw new InvalidArgumentError('eventLoss value', value, 'a finite number');
  }
  return { value, gradT, gradY };
}

/**
 * After the forward pass of a gradient with events: checks that the outputs were reached,
 * evaluates the event loss and builds the backward pass's event seeds.
 */
export function prepareEventGradient(
  field: Field,
  opts: ResolvedOptions,
  options: { readonly eventLoss?: EventLoss },
  locator: EventLocator,
  forward: Integrator,
): { loss: number; adjoint: EventAdjoint } {
  const times = opts.times;
  const written = forward.outputsWritten;
  if (written < times.length) {
    const end = locator.records[locator.records.length - 1];
    throw new InvalidArgumentError(
      `times[${written}]`,
      times[written],
      `an output time reached by the solve: the terminal event "${end.name}" ended it at t = ${end.t}`,
    );
  }
  const records = locator.records;
  const { value, gradT, gradY } = evaluateEventLoss(options.eventLoss, records, field.dim);
  return { loss: value, adjoint: new EventAdjoint(field, opts.method, locator.landed, locator.events, records, opts.params, gradT, gradY) };
}
