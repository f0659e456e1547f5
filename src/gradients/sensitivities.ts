/**
 * Forward sensitivities of the outputs with respect to chosen entries of y0 and p: the forward
 * twin of ACA. The forward solve runs as usual; an observer takes each accepted step (the
 * integrator's StepRecord) and pushes the tangent matrix S = dy/dtheta through that step's stages
 * with the step size held fixed:
 *
 *   dY_j = S + h sum_l a_jl dK_l,   dK_j = df/dy(t_j, Y_j) dY_j + df/dp(t_j, Y_j) dp,
 *   dy_new = S + h sum_j b_j dK_j,  d y(t_k) = S + h sum_j w_j(theta_k) dK_j  (dense outputs)
 *
 * (Hairer, Norsett and Wanner, Solving ODEs I, sec. II.6 "internal differentiation"; the same
 * discrete map that ACA differentiates in reverse, so J^T g equals ACA's gradient to round-off).
 * The derivatives of f come from fields/derivatives.ts: one Jacobian per stage, multiplied into
 * the n tangent columns, or n JVPs per stage when the field has its own JVP but no Jacobian of
 * its own (the cheaper of the two for such fields).
 *
 * Cost: one Jacobian (or n JVPs) per stage of each accepted step; memory: (stages + 2) d n
 * numbers, allocated once per call. Rejected attempts are never seen (they do not enter the map).
 */
import { InvalidArgumentError } from '../errors.ts';
import { fieldDerivatives, type FieldDerivatives } from '../fields/derivatives.ts';
import type { Field } from '../fields/field.ts';
import { Integrator, Landing, type SolveStats, type StepObserver, type StepRecord } from '../solvers/integrator.ts';
import { denseWeights } from '../solvers/methods.ts';
import { resolveOptions, scaleTolerances, type ResolvedOptions, type SolveOptions } from '../solvers/options.ts';
import { stageInput } from '../solvers/stepper.ts';

/** One tangent direction: the unit vector of y0[index] or of p[index]. */
export interface SensitivitySeed {
  readonly target: 'initial' | 'params';
  readonly index: number;
}

export interface SensitivityResult {
  /** The forward outputs (K x d, row-major) at `times`: those of solve() with the same options. */
  readonly outputs: Float64Array;
  readonly times: Float64Array;
  /**
   * d outputs / d seeds: (K d) x n row-major, row k d + i is output k's component i,
   * column c is seed c.
   */
  readonly jacobian: Float64Array;
  readonly stats: SolveStats & {
    /** Jacobians of f (or JVPs of f) evaluated by the sensitivity pass. */
    readonly jacobianEvals: number;
    readonly jvpEvals: number;
  };
}

/** The outputs and their derivatives with respect to `seeds`, steps held fixed. */
export function forwardSensitivities(
  field: Field,
  y0: ArrayLike<number>,
  options: SolveOptions,
  seeds: readonly SensitivitySeed[],
  toleranceFactor = 1,
): SensitivityResult {
  const opts = scaleTolerances(resolveOptions(field, y0, options), toleranceFactor);
  seeds.forEach((seed, c) => {
    const size = seed.target === 'initial' ? field.dim : field.nParams;
    if ((seed.target !== 'initial' && seed.target !== 'params') || !Number.isInteger(seed.index) || seed.index < 0 || seed.index >= size) {
      throw new InvalidArgumentError(`seeds[${c}]`, seed, `{ target: 'initial' | 'params', index } with index in [0, ${size})`);
    }
  });
  const integrator = new Integrator(field, opts);
  const pass = new SensitivityPass(field, opts, seeds, integrator);
  integrator.run(Float64Array.from(y0), pass);
  pass.finish();
  return {
    outputs: integrator.outputs,
    times: opts.times,
    jacobian: pass.dOutputs,
    stats: { ...integrator.stats, jacobianEvals: pass.jacobianEvals, jvpEvals: pass.jvpEvals },
  };
}

/** The observer: the tangents of the current state and of the stages, and the output rows. */
class SensitivityPass implements StepObserver {
  readonly dOutputs: Float64Array;
  jacobianEvals = 0;
  jvpEvals = 0;
  private readonly d: number;
  private readonly n: number;
  private readonly derivatives: FieldDerivatives;
  private readonly useJvp: boolean;
  /** Tangent columns (column c: d numbers at c d) of the state, of the new state, of each stage. */
  private S: Float64Array;
  private SNew: Float64Array;
  private readonly S0: Float64Array;
  private readonly dK: Float64Array[];
  private readonly dY: Float64Array;
  private readonly Y: Float64Array;
  private readonly Jy: Float64Array;
  private readonly Jp: Float64Array;
  private readonly w: Float64Array;
  /** Per column: the parameter it seeds, or -1; and its unit vector in p (null for y0 seeds). */
  private readonly paramOf: Int32Array;
  private readonly unitP: (Float64Array | null)[];
  private readonly colIn: Float64Array[];
  private readonly colOut: Float64Array[][];
  private nextOutput = 0;

  constructor(
    private readonly field: Field,
    private readonly opts: ResolvedOptions,
    seeds: readonly SensitivitySeed[],
    private readonly integrator: Integrator,
  ) {
    const d = field.dim;
    const n = seeds.length;
    const P = field.nParams;
    const sd = opts.method.denseStages;
    this.d = d;
    this.n = n;
    this.derivatives = fieldDerivatives(field);
    // A field's own JVP is one pass per column; an assembled JVP is a whole Jacobian per call.
    this.useJvp = this.derivatives.ownJvp && !this.derivatives.ownJacobian;
    this.S = new Float64Array(d * n);
    this.SNew = new Float64Array(d * n);
    this.S0 = new Float64Array(d * n);
    this.dK = Array.from({ length: sd }, () => new Float64Array(d * n));
    this.dY = new Float64Array(d * n);
    this.Y = new Float64Array(d);
    this.Jy = new Float64Array(d * d);
    this.Jp = new Float64Array(d * P);
    this.w = new Float64Array(sd);
    this.paramOf = Int32Array.from(seeds, (s) => (s.target === 'params' ? s.index : -1));
    this.unitP = seeds.map((s) => {
      if (s.target !== 'params') return null;
      const u = new Float64Array(P);
      u[s.index] = 1;
      return u;
    });
    seeds.forEach((s, c) => {
      if (s.target === 'initial') this.S[c * d + s.index] = 1;
    });
    this.S0.set(this.S);
    this.colIn = Array.from({ length: n }, (_, c) => this.dY.subarray(c * d, (c + 1) * d));
    this.colOut = this.dK.map((k) => Array.from({ length: n }, (_, c) => k.subarray(c * d, (c + 1) * d)));
    this.dOutputs = new Float64Array(opts.times.length * d * n);
  }

  accepted(step: StepRecord): void {
    const { d, n, opts } = this;
    const method = step.method;
    const s = method.stages;
    const h = step.h;
    const times = opts.times;
    const dir = opts.direction;
    const tNew = step.landing !== Landing.None ? step.target : step.t + h;
    // Outputs before this step (at t0) take the initial tangents.
    this.emitStartOutputs();
    let last = this.nextOutput;
    let needDense = false;
    while (last < times.length && dir * (times[last] - tNew) <= 0) {
      if (this.integrator.outputTheta[last] !== 1) needDense = true;
      last++;
    }
    // The extra Hermite stage (non-FSAL methods) exists only when a dense output needed it.
    const stages = needDense ? method.denseStages : s;
    for (let j = 0; j < stages; j++) this.stageTangent(step, j);

    // dy_new = S + h sum_j b_j dK_j.
    const SNew = this.SNew;
    SNew.set(this.S);
    for (let j = 0; j < s; j++) {
      const hb = h * method.b[j];
      if (hb === 0) continue;
      const dKj = this.dK[j];
      for (let q = 0; q < d * n; q++) SNew[q] += hb * dKj[q];
    }
    for (let k = this.nextOutput; k < last; k++) {
      const theta = this.integrator.outputTheta[k];
      if (theta === 1) {
        this.writeOutput(k, SNew);
        continue;
      }
      denseWeights(method, theta, this.w);
      const row = this.dY; // free after the stages: reuse as the output's tangent
      row.set(this.S);
      for (let j = 0; j < method.denseStages; j++) {
        const hw = h * this.w[j];
        if (hw === 0) continue;
        const dKj = this.dK[j];
        for (let q = 0; q < d * n; q++) row[q] += hw * dKj[q];
      }
      this.writeOutput(k, row);
    }
    this.nextOutput = last;
    const old = this.S;
    this.S = SNew;
    this.SNew = old;
  }

  /** Outputs at t0 (and all of them when t0 = t1): the seeds themselves. */
  finish(): void {
    this.emitStartOutputs();
  }

  private emitStartOutputs(): void {
    const outputStep = this.integrator.outputStep;
    const times = this.opts.times;
    while (this.nextOutput < times.length && times[this.nextOutput] === this.opts.t0 && outputStep[this.nextOutput] === -1) {
      this.writeOutput(this.nextOutput++, this.S0);
    }
  }

  /** Column-major tangents (c d + i) into output rows ((k d + i) n + c). */
  private writeOutput(k: number, T: Float64Array): void {
    const { d, n } = this;
    const out = this.dOutputs;
    for (let i = 0; i < d; i++) {
      const base = (k * d + i) * n;
      for (let c = 0; c < n; c++) out[base + c] = T[c * d + i];
    }
  }

  /** dK_j from dY_j = S + h sum_l a_jl dK_l at the stage's input Y_j. */
  private stageTangent(step: StepRecord, j: number): void {
    const { d, n, dY, Y } = this;
    const method = step.method;
    const h = step.h;
    const t = step.t + method.c[j] * h;
    const p = this.opts.params;
    dY.set(this.S);
    const rowStart = method.aStart[j];
    const rowEnd = method.aStart[j + 1];
    for (let q = rowStart; q < rowEnd; q++) {
      const ha = h * method.aVal[q];
      const dKl = this.dK[method.aCol[q]];
      for (let r = 0; r < d * n; r++) dY[r] += ha * dKl[r];
    }
    // The stage's input, as the stepper formed it (the same function, the same rounding).
    if (j === 0) Y.set(step.y);
    else stageInput(method, j, step.y, h, step.stages, Y);

    const dK = this.dK[j];
    if (this.useJvp) {
      const cols = this.colOut[j];
      for (let c = 0; c < n; c++) this.derivatives.jvp(t, Y, p, this.colIn[c], this.unitP[c], cols[c]);
      this.jvpEvals += n;
      return;
    }
    const { Jy, Jp } = this;
    const P = this.field.nParams;
    this.derivatives.jacobian(t, Y, p, Jy, P > 0 ? Jp : null);
    this.jacobianEvals++;
    for (let c = 0; c < n; c++) {
      const base = c * d;
      const q = this.paramOf[c];
      for (let i = 0; i < d; i++) {
        let acc = q >= 0 ? Jp[i * P + q] : 0;
        const row = i * d;
        for (let l = 0; l < d; l++) acc += Jy[row + l] * dY[base + l];
        dK[base + i] = acc;
      }
    }
  }
}
