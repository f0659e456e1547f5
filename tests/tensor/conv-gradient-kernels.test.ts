// The conv2d gradient kernels registered for WASM (and CPU) against a direct loop over the
// definition y[n,o,p,co] = sum_{i,j,ci} xpad[n, o s + i, p s + j, ci] W[i,j,ci,co].
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { selectBackend } from '../../src/tensor/backends.ts';
import { tf } from '../../src/tensor/tf.ts';
import { createRng } from '../../src/util/random.ts';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

interface Case {
  h: number;
  w: number;
  k: number;
  stride: number;
  pad: 'same' | 'valid';
}

const cases: Case[] = [
  { h: 7, w: 7, k: 3, stride: 1, pad: 'same' },
  { h: 8, w: 9, k: 3, stride: 2, pad: 'same' },
  { h: 9, w: 8, k: 4, stride: 2, pad: 'same' },
  { h: 10, w: 10, k: 4, stride: 2, pad: 'valid' },
  { h: 11, w: 9, k: 5, stride: 3, pad: 'same' },
  { h: 6, w: 6, k: 1, stride: 1, pad: 'valid' },
];

describe('conv2d gradient kernels on WASM', () => {
  it('Conv2DBackpropFilter is registered and Conv2DBackpropInput replaced', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const c of cases) {
    it(`match the loop reference: ${c.h}x${c.w}, k ${c.k}, stride ${c.stride}, ${c.pad}`, () => {
      const rng = createRng(c.h * 100 + c.k * 10 + c.stride);
      const n = 2, cin = 3, cout = 4;
      const x = Float32Array.from({ length: n * c.h * c.w * cin }, () => rng.normal());
      const wts = Float32Array.from({ length: c.k * c.k * cin * cout }, () => rng.normal());
      const info = tf.backend_util.computeConv2DInfo([n, c.h, c.w, cin], [c.k, c.k, cin, cout], c.stride, 1, c.pad);
      const { outHeight: ho, outWidth: wo } = info;
      const dy = Float32Array.from({ length: n * ho * wo * cout }, () => rng.normal());
      const ref = referenceGradients(x, wts, dy, [n, c.h, c.w, cin], c.k, cout, c.stride, info.padInfo.top, info.padInfo.left, ho, wo);

      const [gx, gw] = tf.tidy(() => {
        const xt = tf.tensor4d(x, [n, c.h, c.w, cin]);
        const wt = tf.tensor4d(wts, [c.k, c.k, cin, cout]);
        const dyt = tf.tensor4d(dy, [n, ho, wo, cout]);
        return tf.grads((a: TF.Tensor, b: TF.Tensor) => tf.conv2d(a as TF.Tensor4D, b as TF.Tensor4D, c.stride, c.pad))([xt, wt], dyt);
      });
      expectClose(gx.dataSync() as Float32Array, ref.dx);
      expectClose(gw.dataSync() as Float32Array, ref.dw);
      tf.dispose([gx, gw]);
    });
  }
});

function expectClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  expect(worst).toBeLessThan(1e-5);
}

function referenceGradients(
  x: Float32Array, w: Float32Array, dy: Float32Array,
  [n, h, wd, cin]: number[], k: number, cout: number, s: number, top: number, left: number, ho: number, wo: number,
): { dx: Float64Array; dw: Float64Array } {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < ho; o++)
      for (let p = 0; p < wo; p++)
        for (let co = 0; co < cout; co++) {
          const g = dy[((b * ho + o) * wo + p) * cout + co];
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const r = o * s + i - top;
              const q = p * s + j - left;
              if (r < 0 || r >= h || q < 0 || q >= wd) continue;
              for (let ci = 0; ci < cin; ci++) {
                const xi = ((b * h + r) * wd + q) * cin + ci;
                const wi = ((i * k + j) * cin + ci) * cout + co;
                dx[xi] += g * w[wi];
                dw[wi] += g * x[xi];
              }
            }
        }
  return { dx, dw };
}
