/**
 * Reverse mode through Hairer's starting step size (solvers/controller.ts initialStepSize;
 * Hairer, Norsett, Wanner, Solving ODEs I, p. 169), for the naive method, which differentiates
 * the whole adaptive solve: the first step depends on y0 and p, and so does everything after it.
 *
 *   sc_i = atol_i + rtol_i |y0_i|,   d0 = ||y0 / sc||,   d1 = ||f0 / sc||   (RMS norms)
 *   h0 = 0.01 d0 / d1  (1e-6 when d0 or d1 < 1e-5),   y1 = y0 + dir h0 f0,   f1 = f(t0 + dir h0, y1)
 *   d2 = ||(f1 - f0) / sc|| / h0,   h1 = (0.01 / max(d1, d2))^(1/(q+1))  (or max(1e-6, 1e-3 h0))
 *   h = min(100 h0, h1), then clipped to [minStep, maxStep] and |t1 - t0|.
 *
 * As in the rest of naive.ts, f's explicit dependence on t (here through t0 + dir h0) is held
 * constant: exact for autonomous fields. A clipped h, a user's firstStep or a fixed-step method
 * has zero derivative. Allocates its vectors: it runs once per gradient, not per step.
 */
import type { Field } from '../fields/field.ts';
import { initialStepSize } from '../solvers/controller.ts';
import type { ResolvedOptions } from '../solvers/options.ts';

/**
 * Adds hBar dh/dy0 into y0Bar and hBar dh/dp into pBar, where h is the first step's magnitude
 * the integrator took from initialStepSize. Returns the number of VJP evaluations (0 or 2).
 */
export function initialStepAdjoint(field: Field, y0: Float64Array, opts: ResolvedOptions, hBar: number, y0Bar: Float64Array, pBar: Float64Array): number {
  const { method, rtol, atol, params: p, direction: dir, t0 } = opts;
  if (hBar === 0 || !method.adaptive || !Number.isNaN(opts.firstStep) || opts.t1 === t0) return 0;
  const n = field.dim;
  const f0 = new Float64Array(n);
  field.f(t0, y0, p, f0);
  const work: [Float64Array, Float64Array] = [new Float64Array(n), new Float64Array(n)];
  const h = initialStepSize(field, t0, y0, f0, p, dir, method.order, rtol, atol, work);
  const clipped = Math.min(Math.max(h, opts.minStep), opts.maxStep, Math.abs(opts.t1 - t0));
  if (clipped !== h) return 0;

  // The forward pass again, keeping what the reverse needs.
  const sc = new Float64Array(n);
  for (let i = 0; i < n; i++) sc[i] = atol[i] + rtol[i] * Math.abs(y0[i]);
  const d0 = rms(y0, sc);
  const d1 = rms(f0, sc);
  const small = d0 < 1e-5 || d1 < 1e-5;
  const h0 = small ? 1e-6 : 0.01 * (d0 / d1);
  const y1 = new Float64Array(n);
  for (let i = 0; i < n; i++) y1[i] = y0[i] + dir * h0 * f0[i];
  const f1 = new Float64Array(n);
  field.f(t0 + dir * h0, y1, p, f1);
  const D = new Float64Array(n);
  for (let i = 0; i < n; i++) D[i] = f1[i] - f0[i];
  const n2 = rms(D, sc);
  const d2 = n2 / h0;
  const dmax = Math.max(d1, d2);
  const q1 = method.order + 1;
  const tiny = dmax <= 1e-15;
  const h1 = tiny ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / dmax, 1 / q1);

  // Reverse.
  let h0Bar = 0;
  let d1Bar = 0;
  let d2Bar = 0;
  if (100 * h0 <= h1) h0Bar += 100 * hBar;
  else if (tiny) {
    if (h0 * 1e-3 > 1e-6) h0Bar += 1e-3 * hBar;
  } else {
    const dmaxBar = (-hBar * h1) / (q1 * dmax);
    if (d1 >= d2) d1Bar += dmaxBar;
    else d2Bar += dmaxBar;
  }
  const scBar = new Float64Array(n);
  const f0Bar = new Float64Array(n);
  const y1Bar = new Float64Array(n);
  const f1Bar = new Float64Array(n);
  // d2 = n2 / h0
  if (d2Bar !== 0) {
    h0Bar -= (d2Bar * d2) / h0;
    rmsBack(D, sc, n2, d2Bar / h0, f1Bar, scBar); // D's adjoint, then split below
    for (let i = 0; i < n; i++) f0Bar[i] -= f1Bar[i];
  }
  let vjps = 0;
  const vp = new Float64Array(n);
  if (d2Bar !== 0) {
    // f1 = f(t0 + dir h0, y1)
    field.vjp!(t0 + dir * h0, y1, p, f1Bar, vp, pBar);
    vjps++;
    for (let i = 0; i < n; i++) y1Bar[i] = vp[i];
    // y1 = y0 + dir h0 f0
    let dot = 0;
    for (let i = 0; i < n; i++) {
      y0Bar[i] += y1Bar[i];
      f0Bar[i] += dir * h0 * y1Bar[i];
      dot += y1Bar[i] * f0[i];
    }
    h0Bar += dir * dot;
  }
  // h0 = 0.01 d0 / d1
  let d0Bar = 0;
  if (!small && h0Bar !== 0) {
    d0Bar += (h0Bar * h0) / d0;
    d1Bar -= (h0Bar * h0) / d1;
  }
  if (d1Bar !== 0) rmsBack(f0, sc, d1, d1Bar, f0Bar, scBar);
  if (d0Bar !== 0) rmsBack(y0, sc, d0, d0Bar, y0Bar, scBar);
  // sc_i = atol_i + rtol_i |y0_i|
  for (let i = 0; i < n; i++) y0Bar[i] += scBar[i] * rtol[i] * Math.sign(y0[i]);
  // f0 = f(t0, y0)
  let any = false;
  for (let i = 0; i < n; i++) if (f0Bar[i] !== 0) any = true;
  if (any) {
    field.vjp!(t0, y0, p, f0Bar, vp, pBar);
    vjps++;
    for (let i = 0; i < n; i++) y0Bar[i] += vp[i];
  }
  return vjps;
}

/** RMS of v_i / sc_i (controller.ts's scaledNorm with the scale given). */
function rms(v: Float64Array, sc: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] / sc[i]) ** 2;
  return Math.sqrt(sum / v.length);
}

/** Adds bar d rms(v, sc)/dv into vBar and bar d rms/dsc into scBar. */
function rmsBack(v: Float64Array, sc: Float64Array, value: number, bar: number, vBar: Float64Array, scBar: Float64Array): void {
  if (value === 0) return;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const r = v[i] / sc[i];
    const g = (bar * r) / (n * value);
    vBar[i] += g / sc[i];
    scBar[i] -= (g * r) / sc[i];
  }
}
