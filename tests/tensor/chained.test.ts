// The chained training step (chained.ts, for backends without synchronous reads such as WebGPU)
// must give the same gradients as the tf.customGrad path, for every gradient method and with two
// ODE blocks in a row, and must not leak tensors. Run here on WASM, where both paths work.
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { selectBackend } from '../../src/tensor/backends.ts';
import { chainedGradients, predictChained } from '../../src/tensor/chained.ts';
import { batchTensors, mnistSplit, type MnistSplit } from '../../src/tensor/mnist-data.ts';
import { buildModel } from '../../src/tensor/models.ts';
import { lossOf, trainClassifier } from '../../src/tensor/train.ts';
import { tf, type Tensor } from '../../src/tensor/tf.ts';

let data: MnistSplit;

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  data = mnistSplit({ seed: 5, maxTrain: 2000, maxTest: 200 });
});

describe('chained gradients', () => {
  for (const gradient of ['aca', 'adjoint', 'naive'] as const) {
    it(`equal the customGrad path's (${gradient}, two ODE blocks)`, async () => {
      const model = buildModel('odenet', { channels: 4, blocks: 2, block: { gradient: { method: gradient } }, seed: 9 });
      const { x, y } = batchTensors(data.train, Int32Array.from({ length: 8 }, (_, i) => i));
      const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
      const reference = tf.variableGrads(() => lossOf(model, x, y), variables);
      const chained = await chainedGradients(model, x, (logits) => tf.losses.softmaxCrossEntropy(y, logits));
      expect(chained.loss).toBeCloseTo(reference.value.dataSync()[0], 5);
      expect(Object.keys(chained.grads).sort()).toEqual(Object.keys(reference.grads).sort());
      for (const name of Object.keys(reference.grads)) {
        const a = reference.grads[name];
        const b = chained.grads[name];
        const rel = tf.tidy(() => tf.norm(tf.sub(a, b)).dataSync()[0] / (tf.norm(a).dataSync()[0] + 1e-12));
        expect(rel, name).toBeLessThan(1e-4);
      }
      tf.dispose([x, y, reference.value, ...Object.values(reference.grads), ...Object.values(chained.grads)]);
      model.dispose();
    });
  }

  it('predict the same logits as model.predict', async () => {
    const model = buildModel('odenet', { channels: 4, blocks: 2, seed: 9 });
    const { x, y } = batchTensors(data.test, Int32Array.from({ length: 16 }, (_, i) => i));
    const a = (model.predict(x) as Tensor).dataSync();
    const b = (await predictChained(model, x)).dataSync();
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('train without leaking tensors (chained mode, every method)', async () => {
    for (const gradient of ['aca', 'adjoint', 'naive'] as const) {
      const model = buildModel('odenet', { channels: 4, block: { gradient: { method: gradient } }, seed: 3 });
      const counts: number[] = [];
      await trainClassifier(model, data, {
        maxSteps: 20, batchSize: 16, mode: 'chained', evaluateEachEpoch: false, measureMemory: false,
        onStep: ({ numTensors }) => counts.push(numTensors),
      });
      expect(new Set(counts).size, gradient).toBe(1);
      model.dispose();
    }
  });
});
