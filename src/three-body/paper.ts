/**
 * The seed paper's three-body experiment (data/problems/three_body_paper.json, from the code of
 * Zhuang et al., ICML 2020): three stars, masses (1.1, 1.1, 0.9) to be estimated from their
 * positions on t in [0, 1] (1000 evenly spaced times), then extrapolated to [0, 2].
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GravitySystem } from './system.ts';

export interface PaperSetup {
  readonly system: GravitySystem;
  readonly y0: Float64Array;
  readonly trueMasses: Float64Array;
  /** linspace(0, 1, 1000). */
  readonly trainTimes: Float64Array;
  /** s = linspace(0, 2, 2000); s += s[1] / 2; s[0] = 0 (as the paper's code). */
  readonly testTimes: Float64Array;
  /** Loss weights base^t: 0.01 on the training times, 0.1 on the test times. */
  readonly trainWeightBase: number;
  readonly testWeightBase: number;
  /** Initial guesses drawn uniformly from this interval. */
  readonly initialGuessRange: readonly [number, number];
  readonly rtol: number;
  readonly atol: number;
  /** Adam, lr 0.1 times 0.95 before every epoch, betas (0.5, 0.5), 100 epochs. */
  readonly adam: { lr: number; lrDecay: number; beta1: number; beta2: number; epochs: number };
}

export function paperSetup(): PaperSetup {
  const file = fileURLToPath(new URL('../../data/problems/three_body_paper.json', import.meta.url));
  const P = JSON.parse(readFileSync(file, 'utf8'));
  const linspace = (a: number, b: number, n: number) => Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
  const test = linspace(0, 2, 2000);
  const shift = test[1] / 2;
  for (let i = 0; i < test.length; i++) test[i] += shift;
  test[0] = 0;
  return {
    system: { bodies: 3, G: P.K1, velocityScale: P.K2 },
    y0: Float64Array.from([...P.r0.flat(), ...P.v0.flat()]),
    trueMasses: Float64Array.from(P.true_masses),
    trainTimes: linspace(0, 1, 1000),
    testTimes: test,
    trainWeightBase: 0.01,
    testWeightBase: 0.1,
    initialGuessRange: [0.9, 1.1],
    rtol: 1e-7,
    atol: 1e-7,
    adam: { lr: 0.1, lrDecay: 0.95, beta1: 0.5, beta2: 0.5, epochs: 100 },
  };
}
