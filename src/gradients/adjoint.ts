/**
 * The continuous adjoint (Chen et al., NeurIPS 2018), the baseline (docs/design.md, "adjoint").
 *
 * The forward pass keeps only the outputs. The backward pass integrates the augmented system
 *   dy/dt = f(t, y, p),   da/dt = -a^T df/dy,   dg/dt = -a^T df/dp
 * from the last output time down to t0 with the same method (an implicit one too: the augmented
 * field carries a Jacobian, below) and its own tolerances, starting
 * from y(t_K), a = dL/dy(t_K), g = 0, and adding dL/dy(t_k) to a at each output time. Memory is
 * O(d + P); the y(t) it reconstructs backwards is not the forward one, which is the error the
 * seed paper measures. y is not reset to the forward outputs at the output times (torchdiffeq
 * does not either, by default); docs/design.md gives the measured effect of doing so.
 *
 * Never silently wrong: at each output time (and at t0) the reconstructed y is compared with the
 * forward solution in the error control's scaled RMS norm (1 = at tolerance); beyond maxDrift
 * (default 1e5) it raises AdjointDriftError. On a contracting flow (Van der Pol's limit cycle)
 * the backward reconstruction expands, leaves the trajectory and fails with a step-size
 * underflow or returns a gradient off by 100% (docs/gradient-accuracy.md); the drift measured is
 * in result.diagnostics.adjointDrift either way.
 */
import { AdjointDriftError, InvalidArgumentError, NonFiniteError, NonFiniteGradientError, StepSizeUnderflowError } from '../errors.ts';
import { fieldDerivatives, type FieldDerivatives } from '../fields/derivatives.ts';
import type { Field } from '../fields/field.ts';
import { Integrator } from '../solvers/integrator.ts';
import { resolveOptions } from '../solvers/options.ts';
import type { BackwardStats, GradientMethod } from './method.ts';
import { checkKeys, type AdjointSettings } from './settings.ts';

export const adjoint: GradientMethod<AdjointSettings> = {
  name: 'adjoint',
  check(settings, path) {
    checkKeys(settings, path);
    for (const key of ['rtol', 'atol'] as const) {
      const v = settings[key];
      if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
        throw new InvalidArgumentError(`${path}.${key}`, v, 'a finite number > 0');
      }
    }
    const reset = settings.resetStateAtOutputs;
    if (reset !== undefined && typeof reset !== 'boolean') throw new InvalidArgumentError(`${path}.resetStateAtOutputs`, reset, 'true or false');
    const m = settings.maxDrift;
    if (m !== undefined && !(typeof m === 'number' && m > 0)) {
      throw new InvalidArgumentError(`${path}.maxDrift`, m, 'a number > 0 (times the tolerance; Infinity: report only)');
    }
  },
  start({ field, y0, options: opts }, settings) {
    return {
      keepStageInputs: false,
      backward(forward, g, dy0, dp): BackwardStats {
        const d = field.dim;
        const P = field.nParams;
        const p = opts.params;
        const outputs = forward.outputs;
        const times = opts.times;
        const nOut = times.length;
        const aug = augmentedField(field);
        const rtol = settings.rtol ?? loosest(opts.rtol);
        const atol = settings.atol ?? loosest(opts.atol);
        const z = new Float64Array(2 * d + P);
        z.set(outputs.subarray((nOut - 1) * d, nOut * d), 0);
        let fEvals = 0;
        let accepted = 0;
        let rejected = 0;
        let peakBytes = 0;
        const maxDrift = settings.maxDrift ?? DEFAULT_MAX_DRIFT;
        const drift = { max: 0, t: times[nOut - 1], limit: maxDrift };

        for (let k = nOut - 1; k >= 0; k--) {
          if (settings.resetStateAtOutputs) for (let c = 0; c < d; c++) z[c] = outputs[k * d + c];
          for (let c = 0; c < d; c++) z[d + c] += g[k * d + c];
          const tFrom = times[k];
          const tTo = k > 0 ? times[k - 1] : opts.t0;
          if (tFrom === tTo) continue;
          const segment = resolveOptions(aug, z, {
            times: [tTo],
            t0: tFrom,
            method: opts.method.name,
            params: p,
            rtol,
            atol,
            // A fixed-step method without dt lands on the output times (dt is then Infinity).
            dt: opts.method.adaptive || !Number.isFinite(opts.dt) ? undefined : opts.dt,
            landOnOutputs: opts.landOnOutputs,
            maxSteps: opts.maxSteps,
            controller: opts.controller,
          });
          const integ = new Integrator(aug, segment);
          try {
            integ.run(z);
          } catch (error) {
            throw backwardFailure(error, d);
          }
          z.set(integ.outputs);
          // The reconstruction against the forward solution where both are known.
          const yForward = k > 0 ? outputs.subarray((k - 1) * d, k * d) : y0;
          const dk = scaledDistance(z, yForward, opts.rtol, opts.atol);
          if (dk > drift.max) {
            drift.max = dk;
            drift.t = tTo;
          }
          if (dk > maxDrift) throw new AdjointDriftError(tTo, dk, maxDrift);
          fEvals += integ.stats.fEvals;
          accepted += integ.stats.accepted;
          rejected += integ.stats.rejected;
          peakBytes = Math.max(peakBytes, (integ.K.length + 6) * aug.dim * 8);
        }
        dy0.set(z.subarray(d, 2 * d));
        const zp = z.subarray(2 * d);
        for (let q = 0; q < P; q++) dp[q] += zp[q];
        // Each augmented f evaluation is one f and one VJP of the field.
        return { fEvals, vjpEvals: fEvals, accepted, rejected, checkpoints: 0, checkpointBytes: 0, peakBytes, diagnostics: { adjointDrift: drift } };
      },
    };
  },
};

/**
 * Default AdjointSettings.maxDrift: times the tolerance, in the error control's scaled norm.
 * Measured (docs/gradient-accuracy.md): a healthy reconstruction drifts 7-300x the tolerance
 * (Lotka-Volterra, figure-eight) and up to 8e3 on Kepler e = 0.9, whose forward solution is
 * itself off by ~3e3 tolerances; the failing Van der Pol and Brusselator runs drift 6e7-2e10.
 */
export const DEFAULT_MAX_DRIFT = 1e5;

/** RMS of (y_i - yRef_i) / (atol_i + rtol_i |yRef_i|) over the first d components of y. */
function scaledDistance(y: Float64Array, yRef: Float64Array, rtol: Float64Array, atol: Float64Array): number {
  const d = yRef.length;
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const r = (y[i] - yRef[i]) / (atol[i] + rtol[i] * Math.abs(yRef[i]));
    sum += r * r;
  }
  const v = Math.sqrt(sum / d);
  return Number.isNaN(v) ? Infinity : v;
}

/**
 * What a failure of the backward solve means: a step-size underflow or a non-finite y is the
 * reconstruction of y leaving the forward solution (AdjointDriftError); a non-finite adjoint
 * component is the field's VJP failing (NonFiniteGradientError).
 */
function backwardFailure(error: unknown, d: number): unknown {
  if (error instanceof StepSizeUnderflowError) return new AdjointDriftError(error.t, Infinity, NaN, 'step-size underflow');
  if (error instanceof NonFiniteError) {
    if (error.index < d) return new AdjointDriftError(error.t, Infinity, NaN, `non-finite reconstructed y[${error.index}]`);
    const what = error.index < 2 * d ? 'adjoint dL/dy (the VJP a^T df/dy)' : 'dL/dp (the VJP a^T df/dp)';
    const index = error.index < 2 * d ? error.index - d : error.index - 2 * d;
    return new NonFiniteGradientError(what, error.t, index, NaN, "in the continuous adjoint's backward solve");
  }
  return error;
}

/** The loosest of per-component tolerances: the augmented state has other components than y. */
function loosest(v: Float64Array): number {
  let m = v[0];
  for (let i = 1; i < v.length; i++) if (v[i] > m) m = v[i];
  return m;
}

/**
 * The augmented field (y, a, g) -> (f, -a^T df/dy, -a^T df/dp); P parameters as the original.
 *
 * Its Jacobian, for the implicit methods' Newton iteration (solvers/implicit.ts), is
 *   [[ J,     0,     0 ],
 *    [ -H_y, -J^T,   0 ],      J = df/dy, Jp = df/dp (fields/derivatives.ts),
 *    [ -H_p, -Jp^T,  0 ]]      H = d(a^T df/d(y,p))/dy: second derivatives,
 * with the H blocks by forward differences of the VJP in y (one VJP per column of y): Newton's
 * chord iteration only needs an approximate Jacobian, and this one needs no second derivatives.
 * Built on first use, so the explicit methods never pay for it.
 */
function augmentedField(field: Field): Field {
  const d = field.dim;
  const P = field.nParams;
  const D = 2 * d + P;
  const y = new Float64Array(d);
  const a = new Float64Array(d);
  const fy = new Float64Array(d);
  const ay = new Float64Array(d);
  const ap = new Float64Array(P);
  let work: { derivs: FieldDerivatives; Jy: Float64Array; Jp: Float64Array; ay0: Float64Array; ap0: Float64Array } | undefined;
  return {
    dim: D,
    nParams: P,
    jacobian(t, z, p, out) {
      work ??= { derivs: fieldDerivatives(field), Jy: new Float64Array(d * d), Jp: new Float64Array(d * P), ay0: new Float64Array(d), ap0: new Float64Array(P) };
      const { derivs, Jy, Jp, ay0, ap0 } = work;
      for (let i = 0; i < d; i++) {
        y[i] = z[i];
        a[i] = z[d + i];
      }
      derivs.jacobian(t, y, p, Jy, Jp);
      out.fill(0);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          out[i * D + j] = Jy[i * d + j];
          out[(d + i) * D + d + j] = -Jy[j * d + i];
        }
      }
      for (let q = 0; q < P; q++) for (let j = 0; j < d; j++) out[(2 * d + q) * D + d + j] = -Jp[j * P + q];
      ap0.fill(0);
      field.vjp!(t, y, p, a, ay0, ap0);
      for (let j = 0; j < d; j++) {
        const yj = y[j];
        const delta = Math.sqrt(Number.EPSILON) * Math.max(1, Math.abs(yj));
        y[j] = yj + delta;
        ap.fill(0);
        field.vjp!(t, y, p, a, ay, ap);
        y[j] = yj;
        for (let i = 0; i < d; i++) out[(d + i) * D + j] = -(ay[i] - ay0[i]) / delta;
        for (let q = 0; q < P; q++) out[(2 * d + q) * D + j] = -(ap[q] - ap0[q]) / delta;
      }
    },
    f(t, z, p, out) {
      for (let i = 0; i < d; i++) {
        y[i] = z[i];
        a[i] = z[d + i];
      }
      field.f(t, y, p, fy);
      ap.fill(0);
      field.vjp!(t, y, p, a, ay, ap);
      for (let i = 0; i < d; i++) {
        out[i] = fy[i];
        out[d + i] = -ay[i];
      }
      for (let q = 0; q < P; q++) out[2 * d + q] = -ap[q];
    },
  };
}
