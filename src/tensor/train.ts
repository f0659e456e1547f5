/**
 * Training and evaluation of the CNN classifiers: Adam on softmax cross-entropy, seeded batch
 * order (and optional seeded random shifts of the images), test accuracy after every epoch, and
 * per-epoch time and peak tensor memory. tf.memory().numTensors is checked to stay flat.
 *
 * Two ways to a training step: 'customGrad' (optimizer.minimize through the model, the ODE blocks
 * being tf.customGrad ops; needs synchronous reads) and 'chained' (chained.ts; any backend).
 * 'auto' takes customGrad unless the backend cannot read synchronously (WebGPU, WebGL).
 */
import type * as TF from '@tensorflow/tfjs';
import { createRng, type Rng } from '../util/random.ts';
import { batchTensors, IMAGE_SIZE, permutation, type DigitSet, type MnistSplit } from './mnist-data.ts';
import { odeBlocksOf } from './models.ts';
import { chainedGradients, predictChained } from './chained.ts';
import { resetStats } from './stats.ts';
import { tf, type Tensor } from './tf.ts';

export interface TrainOptions {
  /** Default 1, or as many as maxSteps needs when only that is given. */
  readonly epochs?: number;
  /** Stop after this many steps in all (default: epochs x steps per epoch). */
  readonly maxSteps?: number;
  readonly batchSize?: number;
  /** Adam's learning rate at the start; it decays by cosine to `finalLearningRate`. */
  readonly learningRate?: number;
  readonly finalLearningRate?: number;
  /** Seed of the batch order and the shifts. Default 7. */
  readonly seed?: number;
  /** Random shifts of up to this many pixels in x and y (data augmentation). Default 0. */
  readonly maxShift?: number;
  /** Measure peak tensor bytes on the first step of each epoch (tf.profile). Default true. */
  readonly measureMemory?: boolean;
  /**
   * Called after every step: tests, and progress reporting (`aca cnn` draws its bar from it; the
   * library itself writes nothing).
   */
  readonly onStep?: (info: StepInfo) => void;
  /** Evaluate on the test set after each epoch. Default true. */
  readonly evaluateEachEpoch?: boolean;
  /** How gradients are computed. Default 'auto'. */
  readonly mode?: StepMode | 'auto';
}

export type StepMode = 'customGrad' | 'chained';

/** 'chained' on backends whose tensors cannot be read synchronously, else 'customGrad'. */
export function defaultStepMode(): StepMode {
  const backend = tf.getBackend();
  return backend === 'webgpu' || backend === 'webgl' ? 'chained' : 'customGrad';
}

/** One optimizer step on a batch; returns the batch's loss. */
export async function trainStep(
  model: TF.LayersModel,
  optimizer: TF.Optimizer,
  variables: TF.Variable[],
  x: Tensor,
  yOneHot: Tensor,
  mode: StepMode = defaultStepMode(),
): Promise<number> {
  if (mode === 'customGrad') {
    const cost = optimizer.minimize(() => lossOf(model, x, yOneHot), true, variables)!;
    const loss = (await cost.data())[0];
    cost.dispose();
    return loss;
  }
  const { loss, grads } = await chainedGradients(model, x, (logits) => tf.losses.softmaxCrossEntropy(yOneHot, logits));
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  return loss;
}

export interface StepInfo {
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  /** Mean loss of the epoch's steps so far. */
  readonly epochLoss: number;
  /** Seconds since training started. */
  readonly elapsedSeconds: number;
  readonly numTensors: number;
}

export interface EpochReport {
  readonly epoch: number;
  readonly steps: number;
  readonly seconds: number;
  readonly trainLoss: number;
  readonly testAccuracy: number | null;
  /** Peak bytes of tensors during the epoch's first step, above what was held before it. */
  readonly peakStepBytes: number | null;
  /** ODE blocks: accepted and rejected forward steps per training step, backward steps (adjoint). */
  readonly odeForwardSteps: number;
  readonly odeRejectedSteps: number;
  readonly odeBackwardSteps: number;
}

export interface TrainReport {
  readonly epochs: EpochReport[];
  readonly testAccuracy: number;
  readonly seconds: number;
  readonly steps: number;
  readonly numTensorsAfterFirstStep: number;
  readonly numTensorsAtEnd: number;
}

export async function trainClassifier(model: TF.LayersModel, data: MnistSplit, options: TrainOptions = {}): Promise<TrainReport> {
  const batchSize = options.batchSize ?? 64;
  const stepsPerEpoch = Math.floor(data.train.count / batchSize);
  const epochs = options.epochs ?? (options.maxSteps !== undefined ? Math.ceil(options.maxSteps / stepsPerEpoch) : 1);
  const totalSteps = Math.min(options.maxSteps ?? Infinity, epochs * stepsPerEpoch);
  const lr0 = options.learningRate ?? 3e-3;
  const lr1 = options.finalLearningRate ?? lr0 * 0.05;
  const optimizer = tf.train.adam(lr0);
  const rng = createRng(options.seed ?? 7);
  const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
  const blocks = odeBlocksOf(model);
  const mode = !options.mode || options.mode === 'auto' ? defaultStepMode() : options.mode;
  const reports: EpochReport[] = [];
  const started = performance.now();
  let step = 0;
  let numTensorsAfterFirstStep = -1;
  for (let epoch = 1; step < totalSteps; epoch++) {
    const order = permutation(data.train.count, rng);
    const epochStart = performance.now();
    let lossSum = 0;
    let epochSteps = 0;
    let peak: number | null = null;
    for (const b of blocks) resetStats(b.stats);
    for (let k = 0; k < stepsPerEpoch && step < totalSteps; k++) {
      // Cosine decay of the learning rate over the whole run.
      (optimizer as unknown as { learningRate: number }).learningRate =
        lr1 + 0.5 * (lr0 - lr1) * (1 + Math.cos((Math.PI * step) / totalSteps));
      const rows = order.subarray(k * batchSize, (k + 1) * batchSize);
      const { x, y } = batchTensors(data.train, rows);
      const xs = options.maxShift ? shiftImages(x, options.maxShift, rng) : x;
      const runStep = (): Promise<number> => trainStep(model, optimizer, variables, xs, y, mode);
      let loss: number;
      if (k === 0 && (options.measureMemory ?? true)) {
        const before = tf.memory().numBytes;
        let result = 0;
        const profile = await tf.profile(async () => {
          result = await runStep();
          return [];
        });
        loss = result;
        peak = profile.peakBytes - before;
      } else {
        loss = await runStep();
      }
      tf.dispose([x, y, xs]);
      lossSum += loss;
      epochSteps++;
      step++;
      if (numTensorsAfterFirstStep < 0) numTensorsAfterFirstStep = tf.memory().numTensors;
      options.onStep?.({
        step,
        totalSteps,
        loss,
        epochLoss: lossSum / epochSteps,
        elapsedSeconds: (performance.now() - started) / 1000,
        numTensors: tf.memory().numTensors,
      });
    }
    const seconds = (performance.now() - epochStart) / 1000;
    // Read the ODE counters before the evaluation's forward solves add to them.
    const perStep = (key: 'forwardAccepted' | 'forwardRejected' | 'backwardAccepted'): number =>
      blocks.reduce((n, b) => n + b.stats[key], 0) / Math.max(1, epochSteps);
    const odeForwardSteps = perStep('forwardAccepted');
    const odeRejectedSteps = perStep('forwardRejected');
    const odeBackwardSteps = perStep('backwardAccepted');
    const evaluate = (options.evaluateEachEpoch ?? true) || step >= totalSteps;
    const testAccuracy = evaluate ? await accuracy(model, data.test, 500, mode) : null;
    reports.push({
      epoch,
      steps: epochSteps,
      seconds,
      trainLoss: lossSum / Math.max(1, epochSteps),
      testAccuracy,
      peakStepBytes: peak,
      odeForwardSteps,
      odeRejectedSteps,
      odeBackwardSteps,
    });
  }
  optimizer.dispose();
  const last = reports[reports.length - 1];
  return {
    epochs: reports,
    testAccuracy: last.testAccuracy ?? (await accuracy(model, data.test, 500, mode)),
    seconds: (performance.now() - started) / 1000,
    steps: step,
    numTensorsAfterFirstStep,
    numTensorsAtEnd: tf.memory().numTensors,
  };
}

/** Mean softmax cross-entropy of the model's logits against one-hot labels. */
export function lossOf(model: TF.LayersModel, x: Tensor, yOneHot: Tensor): TF.Scalar {
  const logits = model.apply(x, { training: true }) as Tensor;
  return tf.losses.softmaxCrossEntropy(yOneHot, logits) as TF.Scalar;
}

/** Fraction of the set classified correctly (forward passes in batches of `batchSize`). */
export async function accuracy(
  model: TF.LayersModel,
  set: DigitSet,
  batchSize = 500,
  mode: StepMode = defaultStepMode(),
): Promise<number> {
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
    const { x, y } = batchTensors(set, rows);
    const logits = mode === 'customGrad' ? (model.predict(x, { batchSize: rows.length }) as Tensor) : await predictChained(model, x);
    const hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'int32')));
    correct += (await hits.data())[0];
    tf.dispose([x, y, logits, hits]);
  }
  return correct / set.count;
}

/** Shifts each image by a seeded random offset of up to `maxShift` pixels (zeros fill in). */
function shiftImages(x: Tensor, maxShift: number, rng: Rng): Tensor {
  const [n] = x.shape;
  return tf.tidy(() => {
    const padded = tf.pad(x, [[0, 0], [maxShift, maxShift], [maxShift, maxShift], [0, 0]]);
    const crops: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      const dy = Math.floor(rng.next() * (2 * maxShift + 1));
      const dx = Math.floor(rng.next() * (2 * maxShift + 1));
      crops.push(tf.slice(padded, [i, dy, dx, 0], [1, IMAGE_SIZE, IMAGE_SIZE, 1]));
    }
    return tf.concat(crops, 0);
  });
}
