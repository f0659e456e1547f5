/**
 * The WebAssembly form of the 3-D N-body field (fields/nbody.ts, nbody3): the same loop over the
 * pairs i < j, not unrolled (issue 19: straight-line code stops scaling, at 50 bodies a loop beat
 * it 2.3x), with every operation in the order nbody3's f and vjp perform it, so the results are
 * bitwise those of the JavaScript field.
 */
import { F64, I32, type Body } from './encoder.ts';
import type { WasmFieldSource } from './field-source.ts';

const Y = 1;
const P = 2;

export function nbodyWasmSource(n: number, G: number, vs: number): WasmFieldSource {
  const half8 = 24 * n;
  return {
    imports: [],
    // Gravitational N-body is not stiff: steps shrink at close approaches for accuracy.
    mayBeStiff: false,
    emitF(b) {
      const OUT = 3;
      const L = locals(b);
      // out[k] = vs y[half + k]; out[half + k] = 0
      b.i32(0).set(L.k8);
      b.loop();
      b.get(OUT).get(L.k8).i32Add().f64(vs).get(Y).get(L.k8).i32Add().f64Load(half8).f64Mul().f64Store(0);
      b.get(OUT).get(L.k8).i32Add().f64(0).f64Store(half8);
      b.get(L.k8).i32(8).i32Add().tee(L.k8).i32(half8).i32LtS().brIf(0);
      b.end();
      pairs(b, L, n, () => {
        const dv = [L.dx, L.dy, L.dz];
        distance(b, L, G);
        b.get(P).get(L.jm8).i32Add().f64Load(0).get(L.inv3).f64Mul().set(L.wi);
        b.get(P).get(L.im8).i32Add().f64Load(0).get(L.inv3).f64Mul().set(L.wj);
        for (let c = 0; c < 3; c++) {
          b.get(OUT).get(L.ix8).i32Add();
          b.get(OUT).get(L.ix8).i32Add().f64Load(half8 + 8 * c).get(L.wi).get(dv[c]).f64Mul().f64Add();
          b.f64Store(half8 + 8 * c);
        }
        for (let c = 0; c < 3; c++) {
          b.get(OUT).get(L.jx8).i32Add();
          b.get(OUT).get(L.jx8).i32Add().f64Load(half8 + 8 * c).get(L.wj).get(dv[c]).f64Mul().f64Sub();
          b.f64Store(half8 + 8 * c);
        }
      });
    },
    emitVjp(b) {
      const A = 3;
      const OY = 4;
      const OP = 5;
      const L = locals(b);
      const ai = [b.local(F64), b.local(F64), b.local(F64)];
      const aj = [b.local(F64), b.local(F64), b.local(F64)];
      const w = [b.local(F64), b.local(F64), b.local(F64)];
      const u = [b.local(F64), b.local(F64), b.local(F64)];
      const inv5x3 = b.local(F64);
      const dw = b.local(F64);
      b.i32(0).set(L.k8);
      b.loop();
      b.get(OY).get(L.k8).i32Add().f64(0).f64Store(0);
      b.get(OY).get(L.k8).i32Add().f64(vs).get(A).get(L.k8).i32Add().f64Load(0).f64Mul().f64Store(half8);
      b.get(L.k8).i32(8).i32Add().tee(L.k8).i32(half8).i32LtS().brIf(0);
      b.end();
      pairs(
        b,
        L,
        n,
        () => {
          const dv = [L.dx, L.dy, L.dz];
          distance(b, L, G);
          b.f64(3).get(L.inv3).f64Mul().get(L.r2).f64Div().set(inv5x3);
          for (let c = 0; c < 3; c++) b.get(A).get(L.jx8).i32Add().f64Load(half8 + 8 * c).set(aj[c]);
          // w = m_j a_vi - m_i a_vj
          for (let c = 0; c < 3; c++) {
            b.get(P).get(L.jm8).i32Add().f64Load(0).get(ai[c]).f64Mul();
            b.get(P).get(L.im8).i32Add().f64Load(0).get(aj[c]).f64Mul();
            b.f64Sub().set(w[c]);
          }
          // dw = (dx wx + dy wy + dz wz) inv5x3
          b.get(dv[0]).get(w[0]).f64Mul().get(dv[1]).get(w[1]).f64Mul().f64Add().get(dv[2]).get(w[2]).f64Mul().f64Add();
          b.get(inv5x3).f64Mul().set(dw);
          for (let c = 0; c < 3; c++) b.get(L.inv3).get(w[c]).f64Mul().get(dw).get(dv[c]).f64Mul().f64Sub().set(u[c]);
          for (let c = 0; c < 3; c++) {
            b.get(OY).get(L.jx8).i32Add();
            b.get(OY).get(L.jx8).i32Add().f64Load(8 * c).get(u[c]).f64Add();
            b.f64Store(8 * c);
          }
          for (let c = 0; c < 3; c++) {
            b.get(OY).get(L.ix8).i32Add();
            b.get(OY).get(L.ix8).i32Add().f64Load(8 * c).get(u[c]).f64Sub();
            b.f64Store(8 * c);
          }
          const dot = (a: number[]) => {
            b.get(dv[0]).get(a[0]).f64Mul().get(dv[1]).get(a[1]).f64Mul().f64Add().get(dv[2]).get(a[2]).f64Mul().f64Add();
          };
          b.get(OP).get(L.jm8).i32Add();
          b.get(OP).get(L.jm8).i32Add().f64Load(0).get(L.inv3);
          dot(ai);
          b.f64Mul().f64Add().f64Store(0);
          b.get(OP).get(L.im8).i32Add();
          b.get(OP).get(L.im8).i32Add().f64Load(0).get(L.inv3);
          dot(aj);
          b.f64Mul().f64Sub().f64Store(0);
        },
        () => {
          for (let c = 0; c < 3; c++) b.get(A).get(L.ix8).i32Add().f64Load(half8 + 8 * c).set(ai[c]);
        },
      );
    },
  };
}

interface Locals {
  k8: number;
  ix8: number;
  jx8: number;
  im8: number;
  jm8: number;
  xi: number;
  yi: number;
  zi: number;
  dx: number;
  dy: number;
  dz: number;
  r2: number;
  inv3: number;
  wi: number;
  wj: number;
}

function locals(b: Body): Locals {
  return {
    k8: b.local(I32),
    ix8: b.local(I32),
    jx8: b.local(I32),
    im8: b.local(I32),
    jm8: b.local(I32),
    xi: b.local(F64),
    yi: b.local(F64),
    zi: b.local(F64),
    dx: b.local(F64),
    dy: b.local(F64),
    dz: b.local(F64),
    r2: b.local(F64),
    inv3: b.local(F64),
    wi: b.local(F64),
    wj: b.local(F64),
  };
}

/**
 * for i in 0..n-2 { xi = y[3i..]; perI(); for j in i+1..n-1 { body() } } with ix8 = 24 i,
 * im8 = 8 i (and jx8, jm8 for j).
 */
function pairs(b: Body, L: Locals, n: number, body: () => void, perI?: () => void): void {
  b.i32(0).set(L.ix8);
  b.i32(0).set(L.im8);
  b.loop();
  b.get(Y).get(L.ix8).i32Add().f64Load(0).set(L.xi);
  b.get(Y).get(L.ix8).i32Add().f64Load(8).set(L.yi);
  b.get(Y).get(L.ix8).i32Add().f64Load(16).set(L.zi);
  perI?.();
  b.get(L.ix8).i32(24).i32Add().set(L.jx8);
  b.get(L.im8).i32(8).i32Add().set(L.jm8);
  b.loop();
  body();
  b.get(L.jm8).i32(8).i32Add().set(L.jm8);
  b.get(L.jx8).i32(24).i32Add().tee(L.jx8).i32(24 * n).i32LtS().brIf(0);
  b.end();
  b.get(L.im8).i32(8).i32Add().set(L.im8);
  b.get(L.ix8).i32(24).i32Add().tee(L.ix8).i32(24 * (n - 1)).i32LtS().brIf(0);
  b.end();
}

/** dx, dy, dz = r_j - r_i; r2 = dx dx + dy dy + dz dz; inv3 = G / (r2 sqrt(r2)). */
function distance(b: Body, L: Locals, G: number): void {
  b.get(Y).get(L.jx8).i32Add().f64Load(0).get(L.xi).f64Sub().set(L.dx);
  b.get(Y).get(L.jx8).i32Add().f64Load(8).get(L.yi).f64Sub().set(L.dy);
  b.get(Y).get(L.jx8).i32Add().f64Load(16).get(L.zi).f64Sub().set(L.dz);
  b.get(L.dx).get(L.dx).f64Mul().get(L.dy).get(L.dy).f64Mul().f64Add().get(L.dz).get(L.dz).f64Mul().f64Add().set(L.r2);
  b.f64(G).get(L.r2).get(L.r2).f64Sqrt().f64Mul().f64Div().set(L.inv3);
}
