/**
 * The one place that loads TensorFlow.js. tfjs-core's ESM build cannot be imported by Node's ESM
 * loader (extension-less relative imports; docs/design.md, "Measured facts"), so the CommonJS
 * builds are loaded through createRequire; the ESM typings still describe them exactly.
 */
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs';

export const requireCjs = createRequire(import.meta.url);

export const tf: typeof TF = requireCjs('@tensorflow/tfjs');

export type Tensor = TF.Tensor;
export type Tensor4D = TF.Tensor4D;
export type Variable = TF.Variable;
export type Scalar = TF.Scalar;

/**
 * Loads an optional package, or returns null when it is not installed (or fails to load: the
 * native tfjs-node packages throw at load time when libtensorflow is missing).
 */
export function tryRequire<T = unknown>(name: string): { module: T } | { error: string } {
  try {
    return { module: requireCjs(name) as T };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${name}'`)) return { error: 'not installed' };
    return { error: `failed to load: ${e.message.split('\n')[0]}` };
  }
}
