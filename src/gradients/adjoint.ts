/**
 * The continuous adjoint (Chen et al., NeurIPS 2018), the baseline (docs/design.md, "adjoint").
 *
 * The forward pass keeps only the outputs. The backward pass integrates the augmented system
 *   dy/dt = f(t, y, p),   da/dt = -a^T df/dy,   dg/dt = -a^T df/dp
 * from the last output time down to t0 with the same method and its own tolerances, starting
 * from y(t_K), a = dL/dy(t_K), g = 0, and adding dL/dy(t_k) to a at each output time. Memory is
 * O(d + P); the y(t) it reconstructs backwards is not the forward one, which is the error the
 * seed paper measures. y is not reset to the forward outputs at the output times (torchdiffeq
 * does not either, by default); docs/design.md gives the measured effect of doing so.
 */
import { InvalidArgumentError } from '../errors.ts';
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
  },
  start({ field, options: opts }, settings) {
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
          integ.run(z);
          z.set(integ.outputs);
          fEvals += integ.stats.fEvals;
          accepted += integ.stats.accepted;
          rejected += integ.stats.rejected;
          peakBytes = Math.max(peakBytes, (integ.K.length + 6) * aug.dim * 8);
        }
        dy0.set(z.subarray(d, 2 * d));
        const zp = z.subarray(2 * d);
        for (let q = 0; q < P; q++) dp[q] += zp[q];
        // Each augmented f evaluation is one f and one VJP of the field.
        return { fEvals, vjpEvals: fEvals, accepted, rejected, checkpoints: 0, checkpointBytes: 0, peakBytes };
      },
    };
  },
};

/** The loosest of per-component tolerances: the augmented state has other components than y. */
function loosest(v: Float64Array): number {
  let m = v[0];
  for (let i = 1; i < v.length; i++) if (v[i] > m) m = v[i];
  return m;
}

/** The augmented field (y, a, g) -> (f, -a^T df/dy, -a^T df/dp); P parameters as the original. */
function augmentedField(field: Field): Field {
  const d = field.dim;
  const P = field.nParams;
  const y = new Float64Array(d);
  const a = new Float64Array(d);
  const fy = new Float64Array(d);
  const ay = new Float64Array(d);
  const ap = new Float64Array(P);
  return {
    dim: 2 * d + P,
    nParams: P,
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
