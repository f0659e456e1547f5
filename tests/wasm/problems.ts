/** Equation models for the WebAssembly back end's tests and benchmark (tests/wasm, bench 19). */
import { expressionField } from '../../src/fields/expression/compile.ts';
import { nbodyModel } from '../../src/fields/expression/nbody.ts';
import type { ExpressionModel } from '../../src/fields/expression/parse.ts';
import type { Loss } from '../../src/losses/loss.ts';
import type { Rng } from '../../src/util/random.ts';
import { figureEight, lotkaVolterra } from '../helpers/problems.ts';

export const LV_MODEL: ExpressionModel = {
  states: ['x', 'y'],
  params: ['a', 'b', 'c', 'd'],
  equations: { x: 'a*x - b*x*y', y: 'c*x*y - d*y' },
};

/** Lotka-Volterra (data/problems/lotka_volterra.json) as an equation model. */
export function lotkaVolterraModel() {
  const P = lotkaVolterra();
  return { field: expressionField(LV_MODEL), y0: P.y0, params: P.params, times: P.times };
}

/** The figure-eight three-body orbit (data/problems) as an equation model, over one period. */
export function figureEightModel() {
  const P = figureEight();
  const times = Array.from({ length: 11 }, (_, k) => (k * P.period) / 10);
  return { field: expressionField(nbodyModel({ bodies: 3 })), y0: P.y0, params: P.masses, times, period: P.period };
}

/** Sum of squares of every output (a loss touching every component). */
export const sumSquares: Loss = (y, _t, g) => {
  let L = 0;
  for (let q = 0; q < y.length; q++) {
    L += y[q] * y[q];
    g[q] = 2 * y[q];
  }
  return L;
};

/**
 * A random, well-behaved equation model: each right-hand side a damped sum of smooth terms in
 * the states, parameters and t, using the imported functions (sin, cos, exp, tanh, log, pow) and
 * the native ones (sqrt, abs).
 */
export function randomModel(rng: Rng, d: number, nP: number): ExpressionModel {
  const states = Array.from({ length: d }, (_, i) => `s${i}`);
  const params = Array.from({ length: nP }, (_, j) => `q${j}`);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng.next() * xs.length)];
  const coef = () => (0.2 + rng.next()).toFixed(3);
  const terms = [
    (x: string, p: string) => `${p} * sin(${x})`,
    (x: string, p: string) => `${coef()} * cos(${p} * ${x} + t)`,
    (x: string, p: string) => `${p} * tanh(${x})`,
    (x: string, p: string) => `exp(-${x}^2) * ${p}`,
    (x: string, p: string) => `log(1 + ${x}^2) * ${coef()} * ${p}`,
    (x: string, p: string) => `sqrt(1 + abs(${x})) * ${p} * ${coef()}`,
    (x: string, p: string) => `(1 + ${x}^2)^(${p} / 7)`,
    (x: string, p: string) => `${x} * ${p} / (1 + ${x}^2)`,
  ];
  const equations: Record<string, string> = {};
  states.forEach((s, i) => {
    const parts = [`-${coef()} * ${s}`];
    for (let k = 0; k < 3; k++) parts.push(pick(terms)(pick(states), pick(params)));
    if (i > 0) parts.push(`${coef()} * ${states[i - 1]}`);
    equations[s] = parts.join(' + ');
  });
  return { states, params, equations };
}
