/**
 * Milliseconds per training step (batch 64, Adam) of the MNIST ODE-Net with 'aca', 'adjoint' and
 * 'naive', and of the ResNet with residual blocks in the same places, on each tfjs backend that
 * works here, with the peak tensor bytes of one step (tf.profile). Ratios are to ACA on the same
 * backend, measured in the same process, in turns (one step of each per round; medians). The blocks' fields start scaled up (--field-scale,
 * default 1.5) so that they take about as many steps (7) as the blocks of a trained network; at
 * the training default (0.1) they take 2 or 3. A second table isolates one ODE block (forward
 * and gradient on batch-64 7x7 feature maps, the same scale): there the peak bytes are the
 * gradient method's own (not on the CPU backend, where it takes minutes).
 *
 *   node --import tsx scripts/bench/08-cnn.ts [--backend LIST] [--steps N] [--channels N] [--batch N]
 *
 * --backend: a comma-separated list of node-gpu, node, webgpu, wasm, cpu, or 'all' (default:
 * every one, skipping those not available with the reason). Naming one that is not available
 * (e.g. webgpu without a GPU adapter) fails with its reason.
 */
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { GRADIENT_METHODS, type GradientMethodName } from '../../src/gradients/settings.ts';
import {
  BACKEND_LADDER, BackendUnavailableError, describeBackend, parseBackendChoice, releaseBackend, selectBackend, type BackendChoice,
} from '../../src/tensor/backends.ts';
import { batchTensors, mnistSplit } from '../../src/tensor/mnist-data.ts';
import { buildModel, odeBlocksOf, type ModelKind } from '../../src/tensor/models.ts';
import { ConvField } from '../../src/tensor/conv-field.ts';
import { odeBlock, odeBlockPass } from '../../src/tensor/ode-block.ts';
import { emptyStats, resetStats, type OdeBlockStats } from '../../src/tensor/stats.ts';
import { defaultStepMode, trainStep, type StepMode } from '../../src/tensor/train.ts';
import { tf, type Tensor } from '../../src/tensor/tf.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'all' },
    steps: { type: 'string' },
    channels: { type: 'string', default: '16' },
    batch: { type: 'string', default: '64' },
    'field-scale': { type: 'string', default: '1.5' },
  },
});
const explicit = values.backend !== 'all';
const backends: BackendChoice[] = explicit
  ? values.backend.split(',').map((b) => parseBackendChoice(b)).filter((b): b is BackendChoice => b !== 'auto')
  : [...BACKEND_LADDER];
const channels = Number(values.channels);
const batch = Number(values.batch);
const fieldScale = Number(values['field-scale']);

interface BlockRow {
  backend: string;
  method: string;
  ms: number;
  peakBytes: number;
  forwardSteps: number;
  backwardSteps: number;
}

interface Row {
  backend: string;
  model: string;
  method: string;
  msPerStep: number;
  peakBytes: number;
  forwardSteps: number;
  backwardSteps: number;
}

const data = mnistSplit({ seed: 2024 });
const rows: Row[] = [];
let mode: StepMode = 'customGrad';
const blockRows: BlockRow[] = [];
let failed = false;
for (const choice of backends) {
  let selected;
  try {
    selected = await selectBackend({ backend: choice });
  } catch (err) {
    if (!(err instanceof BackendUnavailableError)) throw err;
    if (explicit) {
      console.error(`${choice}: ${err.message}`);
      failed = true;
    } else {
      console.log(`${choice}: skipped (${err.message})`);
    }
    continue;
  }
  console.log(describeBackend(selected));
  mode = defaultStepMode();
  if (mode === 'chained') console.log('  (no synchronous reads on this backend: training steps chain the model\'s pieces, chained.ts)');
  // The pure-JS CPU backend is about 50x slower: fewer timed steps there.
  const steps = values.steps ? Number(values.steps) : selected.tfName === 'cpu' ? 3 : 8;
  const runs: [ModelKind, GradientMethodName | null][] = [
    ...GRADIENT_METHODS.map((m): [ModelKind, GradientMethodName] => ['odenet', m]),
    ['resnet', null],
  ];
  const models = runs.map(([kind, method]) => modelSubject(kind, method));
  for (const [i, m] of (await measureRoundRobin(models, steps)).entries()) {
    const [kind, method] = runs[i];
    rows.push({ backend: choice, model: kind, method: method ?? '-', msPerStep: m.ms, peakBytes: m.peakBytes, forwardSteps: m.forwardSteps, backwardSteps: m.backwardSteps });
    console.log(`  ${kind} ${method ?? '-'}: ${m.ms.toFixed(1)} ms/step`);
  }
  if (selected.tfName !== 'cpu') {
    const blocks = GRADIENT_METHODS.map((m) => blockSubject(m));
    for (const [i, m] of (await measureRoundRobin(blocks, steps)).entries()) {
      blockRows.push({ backend: choice, method: GRADIENT_METHODS[i], ...m });
    }
  }
}
releaseBackend();
if (rows.length) printTable(rows);
if (blockRows.length) printBlockTable(blockRows);
process.exitCode = failed ? 1 : 0;

/** Something to time: one step at a time, with the ODE counters of its blocks. */
interface Subject {
  step(k: number): Promise<void>;
  readonly stats: OdeBlockStats[];
  dispose(): void;
}

interface Measured {
  ms: number;
  peakBytes: number;
  forwardSteps: number;
  backwardSteps: number;
}

/**
 * Times the subjects in turns (one step of each per round) so that the load of a shared machine
 * falls on all of them alike; reports the median step time, then profiles one more step of each
 * for its peak tensor bytes.
 */
async function measureRoundRobin(subjects: Subject[], rounds: number): Promise<Measured[]> {
  for (const s of subjects) await s.step(0); // warm-up: kernels, WASM memory growth
  for (const s of subjects) for (const st of s.stats) resetStats(st);
  const times = subjects.map((): number[] => []);
  for (let k = 1; k <= rounds; k++) {
    for (const [i, s] of subjects.entries()) {
      const start = performance.now();
      await s.step(k);
      times[i].push(performance.now() - start);
    }
  }
  const results: Measured[] = [];
  for (const [i, s] of subjects.entries()) {
    const perStep = (key: 'forwardAccepted' | 'backwardAccepted'): number => s.stats.reduce((n, st) => n + st[key], 0) / rounds;
    const before = tf.memory().numBytes;
    const profile = await tf.profile(async () => {
      await s.step(rounds + 1);
      return [];
    });
    results.push({ ms: median(times[i]), peakBytes: profile.peakBytes - before, forwardSteps: perStep('forwardAccepted'), backwardSteps: perStep('backwardAccepted') });
    s.dispose();
  }
  return results;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function modelSubject(kind: ModelKind, method: GradientMethodName | null): Subject {
  const model = buildModel(kind, { channels, block: { gradient: { method: method ?? 'aca' } }, seed: 1, fieldScale });
  const optimizer = tf.train.adam(3e-3);
  const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
  const rowsOf = (k: number): Int32Array => Int32Array.from({ length: batch }, (_, i) => (k * batch + i) % data.train.count);
  return {
    step: async (k) => {
      const { x, y } = batchTensors(data.train, rowsOf(k));
      await trainStep(model, optimizer, variables, x, y, mode);
      tf.dispose([x, y]);
    },
    stats: odeBlocksOf(model).map((b) => b.stats),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

function blockSubject(method: GradientMethodName): Subject {
  const field = new ConvField({ channels });
  const params = field.initialValues(5, fieldScale);
  const x = tf.randomNormal([batch, 7, 7, channels], 0, 1, 'float32', 6);
  const target = tf.randomNormal([batch, 7, 7, channels], 0, 1, 'float32', 7);
  const stats = emptyStats();
  return {
    step: async () => {
      if (mode === 'customGrad') {
        const g = tf.grads((x0: Tensor, ...p: Tensor[]) => tf.sum(tf.mul(odeBlock(field, p, x0, { gradient: { method } }, stats), target)))([x, ...params]);
        await g[0].data();
        tf.dispose(g);
        return;
      }
      const pass = await odeBlockPass(field, params, x, { gradient: { method } }, stats);
      const g = await pass.backward(target);
      await g[0].data();
      tf.dispose([...g, pass.output]);
    },
    stats: [stats],
    dispose: () => tf.dispose([x, target, ...params]),
  };
}

function printBlockTable(all: BlockRow[]): void {
  const header = ['backend', 'gradient', 'ms', 'vs aca', 'peak MiB', 'vs aca', 'ode fwd', 'ode bwd'];
  const lines = all.map((r) => {
    const aca = all.find((a) => a.backend === r.backend && a.method === 'aca')!;
    return [
      r.backend, r.method, r.ms.toFixed(1), (r.ms / aca.ms).toFixed(2), (r.peakBytes / 2 ** 20).toFixed(2),
      (r.peakBytes / aca.peakBytes).toFixed(2), r.forwardSteps.toFixed(1), r.backwardSteps > 0 ? r.backwardSteps.toFixed(1) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nOne ODE block alone, forward + gradient, [${batch}, 7, 7, ${channels}] features (heun_euler, rtol = atol = 1e-2; field scale ${fieldScale}):`);
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}

function printTable(all: Row[]): void {
  const header = ['backend', 'model', 'gradient', 'ms/step', 'vs aca', 'peak MiB', 'vs aca', 'ode fwd', 'ode bwd'];
  const lines = all.map((r) => {
    const aca = all.find((a) => a.backend === r.backend && a.method === 'aca')!;
    return [
      r.backend, r.model, r.method, r.msPerStep.toFixed(1), (r.msPerStep / aca.msPerStep).toFixed(2),
      (r.peakBytes / 2 ** 20).toFixed(1), (r.peakBytes / aca.peakBytes).toFixed(2),
      r.model === 'odenet' ? r.forwardSteps.toFixed(1) : '-', r.backwardSteps > 0 ? r.backwardSteps.toFixed(1) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nCNN training step, batch ${batch}, ODE-Net / ResNet with ${channels} channels (heun_euler, rtol = atol = 1e-2; field scale ${fieldScale}):`);
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
  console.log('ode fwd / bwd: accepted ODE steps per training step (forward solve; adjoint backward solve)');
}

