/**
 * Dense-network field cost: nanoseconds per f and per vjp for the 2-50-2 tanh net of the spiral
 * neural ODE, side by side with a plain allocating JavaScript network (arrays of arrays, new
 * arrays per call) and TensorFlow.js (CPU backend, float32; docs/design.md, "Measured facts"
 * found about 170 us for forward + gradient there, 0.8 us hand-written). Prints ratios; asserts
 * nothing.
 */
import { createRequire } from 'node:module';
import { createMlp, mlpField } from '../../src/fields/mlp.ts';

const SIZES = [2, 50, 2];
const field = mlpField({ sizes: SIZES, activation: 'tanh' });
const mlp = createMlp({ sizes: SIZES, activation: 'tanh' });
const p = field.initParams(1);
const y = Float64Array.from([0.7, -0.4]);
const a = Float64Array.from([0.3, 1.1]);
const out = new Float64Array(2);
const outY = new Float64Array(2);
const outP = new Float64Array(field.nParams);
let sink = 0;

/** Median over `rounds` of the time per call of `body`, run `calls` times per round. */
function nsPerCall(body: () => void, calls: number, rounds = 7): number {
  for (let i = 0; i < calls; i++) body(); // warm-up (JIT)
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) body();
    samples.push(Number(process.hrtime.bigint() - start) / calls);
  }
  samples.sort((x, z) => x - z);
  return samples[Math.floor(rounds / 2)];
}

const rows: [string, number][] = [];

rows.push([
  'mlpField f',
  nsPerCall(() => {
    field.f(0, y, p, out);
    sink += out[0];
  }, 200_000),
]);
rows.push([
  'mlpField vjp (recomputes forward)',
  nsPerCall(() => {
    field.vjp!(0, y, p, a, outY, outP);
    sink += outY[0];
  }, 200_000),
]);
rows.push([
  'Mlp.forward (term use)',
  nsPerCall(() => {
    mlp.forward(y, p, out);
    sink += out[0];
  }, 200_000),
]);
rows.push([
  'Mlp.vjp (term use)',
  nsPerCall(() => {
    mlp.vjp(y, p, a, outY, outP);
    sink += outY[0];
  }, 200_000),
]);

// The floor: the 50 Math.tanh calls that any float64 forward pass of this net makes.
const pre = Float64Array.from({ length: 50 }, (_, i) => p[2 * i] * y[0] + p[2 * i + 1] * y[1]);
const post = new Float64Array(50);
rows.push([
  '50 x Math.tanh alone (floor)',
  nsPerCall(() => {
    for (let i = 0; i < 50; i++) post[i] = Math.tanh(pre[i]);
    sink += post[0];
  }, 200_000),
]);

// The same network as nested JS arrays, allocating per call: what a straightforward port does.
const W1 = Array.from({ length: 50 }, (_, i) => [p[2 * i], p[2 * i + 1]]);
const b1 = Array.from({ length: 50 }, (_, i) => p[100 + i]);
const W2 = [0, 1].map((i) => Array.from({ length: 50 }, (_, j) => p[150 + 50 * i + j]));
const b2 = [p[250], p[251]];
const yArr = Array.from(y), aArr = Array.from(a);
function naiveForward(x: number[]): { h: number[]; o: number[] } {
  const h = W1.map((row, i) => Math.tanh(row.reduce((s, w, j) => s + w * x[j], b1[i])));
  const o = W2.map((row, i) => row.reduce((s, w, j) => s + w * h[j], b2[i]));
  return { h, o };
}
function naiveVjp(x: number[], g: number[]): { gx: number[]; gW1: number[][]; gW2: number[][] } {
  const { h } = naiveForward(x);
  const gW2 = g.map((gi) => h.map((hj) => gi * hj));
  const dz = h.map((hj, j) => (1 - hj * hj) * g.reduce((s, gi, i) => s + gi * W2[i][j], 0));
  const gW1 = dz.map((d) => x.map((xj) => d * xj));
  const gx = x.map((_, k) => dz.reduce((s, d, j) => s + d * W1[j][k], 0));
  return { gx, gW1, gW2 };
}
rows.push(['plain JS arrays f (allocating)', nsPerCall(() => (sink += naiveForward(yArr).o[0]), 100_000)]);
rows.push(['plain JS arrays vjp (allocating)', nsPerCall(() => (sink += naiveVjp(yArr, aArr).gx[0]), 50_000)]);

async function tfjsRows(): Promise<void> {
  // tfjs-core's ESM build cannot be loaded by Node's ESM loader: use the CommonJS build.
  const tf = createRequire(import.meta.url)('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  const x = tf.tensor2d([Array.from(y)]);
  const dy = tf.tensor2d([Array.from(a)]);
  const tW1 = tf.tensor2d(W1), tb1 = tf.tensor1d(b1), tW2 = tf.tensor2d(W2), tb2 = tf.tensor1d(b2);
  const net = (xs: any, w1: any, c1: any, w2: any, c2: any) =>
    tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(xs, w1, false, true), c1)), w2, false, true), c2);
  const grads = tf.grads(net);
  rows.push([
    'tfjs cpu f (float32)',
    nsPerCall(() => tf.tidy(() => (sink += net(x, tW1, tb1, tW2, tb2).dataSync()[0])), 300, 5),
  ]);
  rows.push([
    'tfjs cpu vjp (float32)',
    nsPerCall(() => tf.tidy(() => (sink += grads([x, tW1, tb1, tW2, tb2], dy)[0].dataSync()[0])), 300, 5),
  ]);
}

try {
  await tfjsRows();
} catch (err) {
  console.log(`(tfjs rows skipped: ${(err as Error).message})`);
}

const base = rows[0][1];
console.log(`2-50-2 tanh network (${field.nParams} parameters), Node ${process.version}; median ns per call`);
console.log(`${'what'.padEnd(36)} ${'ns/call'.padStart(10)} ${'x mlpField f'.padStart(13)}`);
for (const [what, ns] of rows) {
  console.log(`${what.padEnd(36)} ${ns.toFixed(0).padStart(10)} ${(ns / base).toFixed(1).padStart(13)}`);
}
const fNs = rows[0][1], vjpNs = rows[1][1];
console.log(`f + vjp per right-hand side with gradient: ${((fNs + vjpNs) / 1000).toFixed(2)} us`);
if (!Number.isFinite(sink)) console.log('(non-finite checksum)');
