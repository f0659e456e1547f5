/**
 * The continuous adjoint (Chen et al., NeurIPS 2018), the baseline of shared/design/aca.md.
 *
 * The forward pass keeps only the outputs. The backward pass integrates the augmented system
 *   dy/dt = f(t, y, p),   da/dt = -a^T df/dy,   dg/dt = -a^T df/dp
 * from the last output time down to t0 with the same adaptive method and its own tolerances,
 * starting from y(t_K), a = dL/dy(t_K), g = 0, and adding dL/dy(t_k) to a at each output time.
 * Memory is O(d + P); the y(t) it reconstructs backwards is not the forward one, which is the
 * error the seed paper measures.
 */
import type { Field } from '../fields/field.ts';
import { Integrator } from '../solvers/integrator.ts';
import { resolveOptions } from '../solvers/options.ts';
import { endTimeDerivatives, evaluateLoss, requireLoss, requireVjp } from './common.ts';
import type { GradientOptions, GradientResult } from './types.ts';

export function adjointGradient(field: Field, y0: ArrayLike<number>, options: GradientOptions): GradientResult {
  requireVjp(field);
  requireLoss(options.loss);
  const opts = resolveOptions(field, y0, options);
  const d = field.dim;
  const P = field.nParams;
  const p = opts.params;

  const forward = new Integrator(field, opts);
  forward.run(y0);
  const outputs = forward.outputs;
  const times = opts.times;
  const nOut = times.length;
  const g = new Float64Array(outputs.length);
  const loss = evaluateLoss(options.loss, outputs, times, g);

  const aug = augmentedField(field);
  const rtol = options.adjointRtol ?? options.rtol ?? 1e-6;
  const atol = options.adjointAtol ?? options.atol ?? 1e-9;
  const z = new Float64Array(2 * d + P);
  z.set(outputs.subarray((nOut - 1) * d, nOut * d), 0);
  let fEvals = 0;
  let accepted = 0;
  let rejected = 0;
  let peakBytes = 0;

  for (let k = nOut - 1; k >= 0; k--) {
    for (let c = 0; c < d; c++) z[d + c] += g[k * d + c];
    const tFrom = times[k];
    const tTo = k > 0 ? times[k - 1] : opts.t0;
    if (tFrom === tTo) continue;
    const segment = resolveOptions(aug, z, {
      times: [tTo],
      t0: tFrom,
      method: opts.method.name,
      params: p,
      rtol: loosest(rtol),
      atol: loosest(atol),
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

  const dy0 = z.slice(d, 2 * d);
  const dp = z.slice(2 * d);
  const { dt0, dt1 } = endTimeDerivatives(field, opts.t0, y0, p, dy0, times, outputs, g);
  const fwd = { ...forward.stats };
  return {
    loss,
    dy0,
    dp,
    dt0,
    dt1,
    outputs,
    times,
    method: 'adjoint',
    stats: {
      forward: fwd,
      fEvals: fwd.fEvals + fEvals + 2,
      vjpEvals: fEvals,
      accepted: fwd.accepted,
      rejected: fwd.rejected,
      backwardAccepted: accepted,
      backwardRejected: rejected,
      checkpoints: 0,
      checkpointBytes: 0,
      peakBytes,
    },
  };
}

/**
 * The backward solve's scalar tolerance: the augmented state (y, a, dL/dp) has other components
 * than y, so per-component tolerances of y do not carry over; the loosest one is used.
 */
function loosest(v: number | ArrayLike<number>): number {
  return typeof v === 'number' ? v : Math.max(...Array.from(v));
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
