/** The standard problems of data/problems as fields, initial states and losses for tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { nbodyField } from '../../src/fields/nbody.ts';
import { lotkaVolterraField } from '../../src/fields/classic.ts';
import type { Loss } from '../../src/losses/loss.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The project's copy of the standard problems (data/problems). */
export const PROBLEMS = join(here, '..', '..', 'data', 'problems');

export function loadProblem<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(PROBLEMS, `${name}.json`), 'utf8')) as T;
}

export interface FigureEight {
  y0: number[];
  masses: number[];
  period: number;
  observation_times: number[];
  benchmark_masses_perturbed: number[];
}

export function figureEight() {
  const P = loadProblem<FigureEight>('three_body_figure_eight');
  return { ...P, field: nbodyField({ bodies: 3 }) };
}

/** The benchmark loss of three_body_figure_eight.json: sum of squared positions at the outputs. */
export const squaredPositions: Loss = (y, t, g) => {
  g.fill(0);
  let L = 0;
  for (let k = 0; k < t.length; k++) {
    for (let i = 0; i < 9; i++) {
      const v = y[k * 18 + i];
      L += v * v;
      g[k * 18 + i] = 2 * v;
    }
  }
  return L;
};

export function lotkaVolterra() {
  const P = loadProblem<{ params: Record<string, number>; y0: number[]; observation_times: number[] }>('lotka_volterra');
  return {
    field: lotkaVolterraField(),
    params: [P.params.a, P.params.b, P.params.c, P.params.d],
    y0: P.y0,
    times: P.observation_times,
  };
}

/** The benchmark loss of lotka_volterra.json: sum of (x-1)^2 + (y-1)^2 at the outputs. */
export const lvLoss: Loss = (y, _t, g) => {
  let L = 0;
  for (let q = 0; q < y.length; q++) {
    const r = y[q] - 1;
    L += r * r;
    g[q] = 2 * r;
  }
  return L;
};
