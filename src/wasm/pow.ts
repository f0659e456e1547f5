/**
 * controllerPow (solvers/pow.ts) as a WebAssembly function (f64, f64) -> f64: the same
 * operations in the same order, so the generated solver's step-size factors are bitwise those of
 * the TypeScript controller (tests/wasm/solver.test.ts checks it on many arguments).
 */
import {
  EXP_COEFFICIENTS as X,
  LN2_HI,
  LN2_LO,
  LOG2E,
  LOG_COEFFICIENTS as L,
  MIN_NORMAL,
  TWO54,
} from '../solvers/pow.ts';
import { F64, I32, I64, type Body } from './encoder.ts';

/** Emits the body of pow(x, y) into `b` (declared with params [F64, F64], result [F64]). */
export function emitPow(b: Body): void {
  const x = 0;
  const y = 1;
  const k = b.local(I32);
  const bits = b.local(I64);
  const m = b.local(F64);
  const s = b.local(F64);
  const u = b.local(F64);
  const u2 = b.local(F64);
  const u4 = b.local(F64);
  const lp = b.local(F64);
  const kf = b.local(F64);
  const z = b.local(F64);
  const j = b.local(F64);
  const r = b.local(F64);
  const r2 = b.local(F64);
  const r4 = b.local(F64);
  const ex = b.local(F64);
  const j1 = b.local(F64);

  // Special cases, as controllerPow.
  const signOf = (ifNeg: number, ifPos: number) => {
    b.get(y).f64(0).f64Lt().ifF64().f64(ifNeg).else();
    b.get(y).f64(0).f64Gt().ifF64().f64(ifPos).else().f64(1).end();
    b.end();
  };
  b.get(x).f64(0).f64Gt().i32Eqz().if();
  b.get(x).f64(0).f64Eq().ifF64();
  signOf(Infinity, 0);
  b.else().f64(NaN).end().return();
  b.end();
  b.get(x).f64(Infinity).f64Eq().if();
  signOf(0, Infinity);
  b.return().end();

  b.i32(-1023).set(k);
  b.get(x).f64(MIN_NORMAL).f64Lt().if();
  b.get(x).f64(TWO54).f64Mul().set(x);
  b.get(k).i32(54).i32Sub().set(k);
  b.end();
  b.get(x).i64ReinterpretF64().set(bits);
  b.get(k).get(bits).i64(52n).i64ShrU().i32WrapI64().i32Add().set(k);
  b.get(bits).i64(0x000fffffffffffffn).i64And().i64(0x3ff0000000000000n).i64Or().f64ReinterpretI64().set(m);
  b.get(m).f64(Math.SQRT2).f64Gt().if();
  b.get(m).f64(0.5).f64Mul().set(m);
  b.get(k).i32(1).i32Add().set(k);
  b.end();

  // s = (m - 1)/(m + 1); u = s^2; Estrin as in controllerPow.
  b.get(m).f64(1).f64Sub().get(m).f64(1).f64Add().f64Div().set(s);
  b.get(s).get(s).f64Mul().set(u);
  b.get(u).get(u).f64Mul().set(u2);
  b.get(u2).get(u2).f64Mul().set(u4);
  const pair = (c0: number, c1: number, v: number) => b.f64(c0).f64(c1).get(v).f64Mul().f64Add();
  // lq0 = L0 + L1 u + (L2 + L3 u) u2
  pair(L[0], L[1], u);
  pair(L[2], L[3], u);
  b.get(u2).f64Mul().f64Add();
  // lq1 = L4 + L5 u + (L6 + L7 u) u2, times u4
  pair(L[4], L[5], u);
  pair(L[6], L[7], u);
  b.get(u2).f64Mul().f64Add();
  b.get(u4).f64Mul().f64Add();
  // + L8 (u4 u4)
  b.f64(L[8]).get(u4).get(u4).f64Mul().f64Mul().f64Add().set(lp);
  // logm = 2 s + 2 s (u lp)
  b.f64(2).get(s).f64Mul();
  b.f64(2).get(s).f64Mul().get(u).get(lp).f64Mul().f64Mul();
  b.f64Add(); // logm on the stack
  // z = y (k LN2_HI + (k LN2_LO + logm))
  b.get(k).f64ConvertI32S().set(kf);
  const logm = b.local(F64);
  b.set(logm);
  b.get(y);
  b.get(kf).f64(LN2_HI).f64Mul();
  b.get(kf).f64(LN2_LO).f64Mul().get(logm).f64Add();
  b.f64Add().f64Mul().set(z);
  b.get(z).f64(709.8).f64Gt().if().f64(Infinity).return().end();
  b.get(z).f64(-745.2).f64Lt().if().f64(0).return().end();
  b.get(z).f64(LOG2E).f64Mul().f64(0.5).f64Add().f64Floor().set(j);
  b.get(z).get(j).f64(LN2_HI).f64Mul().f64Sub().get(j).f64(LN2_LO).f64Mul().f64Sub().set(r);
  b.get(r).get(r).f64Mul().set(r2);
  b.get(r2).get(r2).f64Mul().set(r4);
  // eq0 = 1 + r + (X2 + X3 r) r2
  b.f64(1).get(r).f64Add();
  pair(X[2], X[3], r);
  b.get(r2).f64Mul().f64Add();
  // eq1 = X4 + X5 r + (X6 + X7 r) r2, times r4
  pair(X[4], X[5], r);
  pair(X[6], X[7], r);
  b.get(r2).f64Mul().f64Add();
  b.get(r4).f64Mul().f64Add();
  // (eq2 + X12 r4) (r4 r4), eq2 = X8 + X9 r + (X10 + X11 r) r2
  pair(X[8], X[9], r);
  pair(X[10], X[11], r);
  b.get(r2).f64Mul().f64Add();
  b.f64(X[12]).get(r4).f64Mul().f64Add();
  b.get(r4).get(r4).f64Mul().f64Mul();
  b.f64Add().set(ex);
  b.get(j).f64(0.5).f64Mul().f64Floor().set(j1);
  const pow2 = (v: () => void) => {
    v();
    b.i32TruncF64S().i32(1023).i32Add().i64ExtendI32S().i64(52n).i64Shl().f64ReinterpretI64();
  };
  b.get(ex);
  pow2(() => b.get(j1));
  b.f64Mul();
  pow2(() => b.get(j).get(j1).f64Sub());
  b.f64Mul();
}
