/**
 * mathjs, loaded on first use. Loading it costs about half a second, and the field registry
 * (imported by every worker) must not pay that unless a job actually has an equation model, so
 * it is required lazily rather than imported at the top. The number-only build has parse and
 * derivative, all this folder uses, and loads in about 0.6x the time of the full one.
 */
import { createRequire } from 'node:module';

export type MathJs = typeof import('mathjs');
export type { MathNode } from 'mathjs';

let instance: MathJs | undefined;

export function mathjs(): MathJs {
  instance ??= createRequire(import.meta.url)('mathjs/number') as MathJs;
  return instance;
}
