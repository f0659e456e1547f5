/**
 * The two image classifiers compared in the seed paper's experiments, for 28x28 grey digits:
 *
 *   conv3x3(C) GN relu | conv4x4/2(C) GN relu | conv4x4/2(C)      28x28 -> 14x14 -> 7x7
 *   blocks x n: OdeBlock (ODE-Net) or ResidualBlock (ResNet), C channels at 7x7
 *   relu | global average pool | dense(10) logits
 *
 * The blocks have the same field f (conv GN relu conv) and so the same parameters; the two
 * networks differ only in y + f(y) against y(1) of y' = f(y).
 */
import type * as TF from '@tensorflow/tfjs';
import { GroupNorm, OdeBlock, ResidualBlock } from './layers.ts';
import type { OdeBlockOptions } from './options.ts';
import { tf } from './tf.ts';

export interface CnnConfig {
  /** Feature channels C. Default 32. */
  readonly channels?: number;
  /** Number of ODE (or residual) blocks. Default 1. */
  readonly blocks?: number;
  /** Solver and gradient method of every ODE block. */
  readonly block?: OdeBlockOptions;
  /** Seed of the initial weights. Default 1. */
  readonly seed?: number;
  /** Input side (square, one channel). Default 28. */
  readonly imageSize?: number;
  /**
   * 'strided3': conv3x3/2 GN relu conv3x3/2 (cheap; the default).
   * 'chen': conv3x3 GN relu conv4x4/2 GN relu conv4x4/2 (Chen et al.'s MNIST stem; about 4x the cost).
   */
  readonly stem?: 'strided3' | 'chen';
  /** 'flatten' (default): dense on the whole 7x7xC map; 'pool': global average pool first. */
  readonly head?: 'flatten' | 'pool';
  /** Initial scale of the blocks' second conv (FieldLayerArgs.outputScale). Default 0.1. */
  readonly fieldScale?: number;
}

export type ModelKind = 'odenet' | 'resnet';

export function buildModel(kind: ModelKind, config: CnnConfig = {}): TF.Sequential {
  const channels = config.channels ?? 32;
  const blocks = config.blocks ?? 1;
  const seed = config.seed ?? 1;
  const size = config.imageSize ?? 28;
  let nextSeed = seed * 100;
  const init = (): ReturnType<typeof tf.initializers.heNormal> => tf.initializers.heNormal({ seed: nextSeed++ });
  const model = tf.sequential({ name: kind });
  const input = { inputShape: [size, size, 1] };
  if ((config.stem ?? 'strided3') === 'chen') {
    model.add(tf.layers.conv2d({ ...input, filters: channels, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init() }));
    model.add(new GroupNorm({}));
    model.add(tf.layers.reLU());
    model.add(tf.layers.conv2d({ filters: channels, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: init() }));
  } else {
    model.add(tf.layers.conv2d({ ...input, filters: channels, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init() }));
  }
  model.add(new GroupNorm({}));
  model.add(tf.layers.reLU());
  const lastKernel = (config.stem ?? 'strided3') === 'chen' ? 4 : 3;
  model.add(tf.layers.conv2d({ filters: channels, kernelSize: lastKernel, strides: 2, padding: 'same', kernelInitializer: init() }));
  for (let b = 0; b < blocks; b++) {
    const fieldSeed = nextSeed++;
    model.add(kind === 'odenet'
      ? new OdeBlock({ ...config.block, seed: fieldSeed, outputScale: config.fieldScale, name: `ode_block_${b + 1}` })
      : new ResidualBlock({ seed: fieldSeed, outputScale: config.fieldScale, name: `residual_block_${b + 1}` }));
  }
  model.add(tf.layers.reLU());
  model.add((config.head ?? 'flatten') === 'pool' ? tf.layers.globalAveragePooling2d({}) : tf.layers.flatten());
  model.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed++ }) }));
  return model;
}

/** The ODE blocks of a model (to set their gradient method or read their counters). */
export function odeBlocksOf(model: TF.LayersModel): OdeBlock[] {
  return model.layers.filter((l): l is OdeBlock => l instanceof OdeBlock);
}

export function countParams(model: TF.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
