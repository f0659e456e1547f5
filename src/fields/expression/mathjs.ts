/**
 * mathjs, loaded on first use. Loading it costs about half a second, and the field registry
 * (imported by every worker) must not pay that unless a job actually has an equation model, so
 * it is required lazily rather than imported at the top. The number-only build has parse and
 * derivative, all this folder uses, and loads in about 0.6x the time of the full one.
 *
 * Node's require is reached through process.getBuiltinModule rather than an import of
 * node:module, so that the library's main entry has no node: import and bundles for a browser;
 * there, equation models need the caller to hand mathjs over once with useMathJs.
 */
import { AcaError } from '../../errors.ts';

export type MathJs = typeof import('mathjs');
export type { MathNode } from 'mathjs';

let instance: MathJs | undefined;

export function mathjs(): MathJs {
  if (instance) return instance;
  const nodeModule = globalThis.process?.getBuiltinModule?.('node:module');
  if (!nodeModule) {
    throw new AcaError(
      'ERR_MATHJS_UNAVAILABLE',
      "equation models need mathjs: outside Node, call useMathJs(await import('mathjs/number')) first",
    );
  }
  instance = nodeModule.createRequire(import.meta.url)('mathjs/number') as MathJs;
  return instance;
}

/** Gives the library the mathjs instance to use (where Node's require is not available). */
export function useMathJs(instanceToUse: MathJs): void {
  instance = instanceToUse;
}
