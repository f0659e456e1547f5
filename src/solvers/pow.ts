/**
 * x^y for x >= 0 as exp(y log x), from + - * / and exponent bits only, for the step-size
 * controller. Two reasons not to use Math.pow there: V8's Math.pow costs about 33 ns a call
 * (glibc's pow 8.5 ns; issue 19 measured 4-6 us per figure-eight solve in the controller alone),
 * and the WebAssembly back end (src/wasm/) must take the same steps as this TypeScript path: the
 * same operations in the same order round identically in both (IEEE 754 binary64, round to
 * nearest, no fused multiply-add in either), so src/wasm/solver.ts emits exactly this algorithm
 * from the constants exported here.
 *
 * Algorithm (the textbook reduction, cf. Muller, "Elementary Functions", ch. 11; fdlibm's
 * e_log.c and e_exp.c for the split of ln 2):
 *   x = m 2^k with m in [sqrt(1/2), sqrt(2)],  s = (m - 1)/(m + 1),
 *   log m = 2 atanh s = 2 s (1 + s^2/3 + s^4/5 + ... + s^18/19)   (|s| <= 0.1716, truncation < 3e-17),
 *   z = y (k ln2_hi + (k ln2_lo + log m)),
 *   z = j ln2 + r with j = floor(z log2(e) + 1/2), |r| <= 0.35,
 *   exp r = sum_{n <= 12} r^n / n!  (truncation < 4e-16),  x^y = exp(r) 2^(j1) 2^(j - j1).
 * Accuracy: relative error below (|y log x| + 4) 2^-52, i.e. a few ulps where the controller
 * works (tests/solvers/pow.test.ts measures it against Math.pow: below 2e-15 for err^(-1/5) with
 * err in [1e-12, 1e12], below 3e-14 over [1e-300, 1e300]). Special cases: x = 0 gives +Infinity
 * for y < 0 and 0 for y > 0, x = +Infinity the reverse, NaN or x < 0 give NaN.
 */

/** L[k] = 1/(2k+3), k = 0..8: log m = 2s + 2s u sum_k L[k] u^k with u = s^2 (atanh series to s^19). */
export const LOG_COEFFICIENTS: Float64Array = Float64Array.from({ length: 9 }, (_, k) => 1 / (2 * k + 3));
/** X[n] = 1/n!, n = 0..12: exp r = sum_n X[n] r^n. */
export const EXP_COEFFICIENTS: Float64Array = (() => {
  const inv = new Float64Array(13);
  let f = 1;
  for (let n = 0; n <= 12; n++) {
    if (n > 0) f *= n; // exact: 12! < 2^53
    inv[n] = 1 / f;
  }
  return inv;
})();
export const LN2_HI = 6.93147180369123816490e-1;
export const LN2_LO = 1.90821492927058770002e-10;
export const LOG2E = 1.4426950408889634;
/** Below this, x is subnormal and is scaled by 2^54 before its exponent is read. */
export const MIN_NORMAL = 2.2250738585072014e-308;
export const TWO54 = 18014398509481984;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
// Little-endian hosts (x86, ARM as Node runs them): the exponent is in the upper word.
const HI = 1;

/** 2^j for the integer j in [-1022, 1023], exactly. */
function pow2(j: number): number {
  words[1 - HI] = 0;
  words[HI] = (j + 1023) << 20;
  return bits[0];
}

/** x^y by exp(y log x) (see the header for accuracy). */
export function controllerPow(x: number, y: number): number {
  if (!(x > 0)) return x === 0 ? (y < 0 ? Infinity : y > 0 ? 0 : 1) : NaN;
  if (x === Infinity) return y < 0 ? 0 : y > 0 ? Infinity : 1;
  let k = -1023;
  if (x < MIN_NORMAL) {
    x *= TWO54;
    k -= 54;
  }
  bits[0] = x;
  const hi = words[HI];
  k += hi >>> 20;
  words[HI] = (hi & 0x000fffff) | 0x3ff00000;
  let m = bits[0];
  if (m > Math.SQRT2) {
    m *= 0.5;
    k += 1;
  }
  const s = (m - 1) / (m + 1);
  const u = s * s;
  // Estrin's scheme rather than Horner's: the same terms in a shallower dependency chain, which
  // is what a scalar call's latency is made of (src/wasm/solver.ts emits the same operations).
  const L = LOG_COEFFICIENTS;
  const u2 = u * u;
  const u4 = u2 * u2;
  const lq0 = L[0] + L[1] * u + (L[2] + L[3] * u) * u2;
  const lq1 = L[4] + L[5] * u + (L[6] + L[7] * u) * u2;
  const lp = lq0 + lq1 * u4 + L[8] * (u4 * u4);
  const logm = 2 * s + 2 * s * (u * lp);
  const z = y * (k * LN2_HI + (k * LN2_LO + logm));
  if (z > 709.8) return Infinity;
  if (z < -745.2) return 0;
  const j = Math.floor(z * LOG2E + 0.5);
  const r = z - j * LN2_HI - j * LN2_LO;
  const X = EXP_COEFFICIENTS;
  const r2 = r * r;
  const r4 = r2 * r2;
  const eq0 = 1 + r + (X[2] + X[3] * r) * r2;
  const eq1 = X[4] + X[5] * r + (X[6] + X[7] * r) * r2;
  const eq2 = X[8] + X[9] * r + (X[10] + X[11] * r) * r2;
  const expr = eq0 + eq1 * r4 + (eq2 + X[12] * r4) * (r4 * r4);
  const j1 = Math.floor(j * 0.5);
  return expr * pow2(j1) * pow2(j - j1);
}
