// The backend ladder (what is available here: WASM and CPU; the optional packages are absent) and
// the seeded MNIST split.
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, describeBackend, parseBackendChoice, selectBackend } from '../../src/tensor/backends.ts';
import { mnistSplit, type DigitSet } from '../../src/tensor/mnist-data.ts';
import { tf, tryRequire } from '../../src/tensor/tf.ts';

const missing = (name: string): boolean => 'error' in tryRequire(name);

describe('backend ladder', () => {
  it('auto picks the first available backend and says why the ones above were skipped', async () => {
    const selected = await selectBackend({ backend: 'auto' });
    if (missing('@tensorflow/tfjs-node-gpu') && missing('@tensorflow/tfjs-node') && missing('webgpu')) {
      expect(selected.choice).toBe('wasm');
      expect(selected.attempts.map((a) => a.choice)).toEqual(['node-gpu', 'node', 'webgpu', 'wasm']);
      expect(selected.convKernels.filter).toBe('registered');
      expect(describeBackend(selected)).toMatch(/skipped node-gpu: @tensorflow\/tfjs-node-gpu not installed/);
    }
    expect(tf.getBackend()).toBe(selected.tfName);
    expect(describeBackend(selected)).toMatch(/^backend: \w+/);
  });

  it('a flag selects the CPU backend, whose slow filter kernel is replaced', async () => {
    const selected = await selectBackend({ backend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(selected.convKernels.filter).toBe('replaced');
    await selectBackend({ backend: 'wasm' });
  });

  it('asking for a backend that is not there fails with a message naming it and why', async () => {
    expect(() => parseBackendChoice('tpu')).toThrow(/invalid backend: "tpu" \(one of auto, node-gpu, node, webgpu, wasm, cpu\)/);
    if (!missing('webgpu')) return;
    await expect(selectBackend({ backend: 'webgpu' })).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend({ backend: 'webgpu' })).rejects.toThrow(/webgpu is not available: package webgpu not installed/);
  });
});

describe('seeded MNIST split', () => {
  it('is the same for the same seed, disjoint, and holds out a fifth of each digit', () => {
    const a = mnistSplit({ seed: 1 });
    const b = mnistSplit({ seed: 1 });
    const c = mnistSplit({ seed: 2 });
    expect(a.train.count + a.test.count).toBe(10_000);
    expect(Array.from(a.test.labels.slice(0, 50))).toEqual(Array.from(b.test.labels.slice(0, 50)));
    expect(a.test.images.slice(0, 784 * 3)).toEqual(b.test.images.slice(0, 784 * 3));
    expect(a.test.images.slice(0, 784 * 3)).not.toEqual(c.test.images.slice(0, 784 * 3));
    const perDigit = new Array(10).fill(0);
    for (const l of a.test.labels) perDigit[l]++;
    for (const n of perDigit) expect(n).toBeGreaterThan(150);
    const key = (set: DigitSet, i: number): number => set.labels[i] * 100_000 + set.sourceIndex[i];
    const train = new Set(Array.from({ length: a.train.count }, (_, i) => key(a.train, i)));
    expect(train.size).toBe(a.train.count);
    for (let i = 0; i < a.test.count; i++) expect(train.has(key(a.test, i))).toBe(false);
  });
});
