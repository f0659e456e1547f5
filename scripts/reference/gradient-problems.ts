/**
 * The problems of the gradient-accuracy work (issue 13, docs/gradient-accuracy.md): the perturbed
 * figure-eight, a Kepler orbit of eccentricity 0.9 over 3 periods, Lotka-Volterra, the Brusselator
 * and Van der Pol (mu = 2). Shared by the reference script (gradient-references.ts), the tests
 * (tests/gradients/accuracy.test.ts) and the benchmark (scripts/bench/13-gradient-accuracy.ts),
 * so all three measure the same thing.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lotkaVolterraField } from '../../src/fields/classic.ts';
import type { Field } from '../../src/fields/field.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import type { Loss } from '../../src/losses/loss.ts';

const here = dirname(fileURLToPath(import.meta.url));
const problems = join(here, '..', '..', 'data', 'problems');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(problems, `${name}.json`), 'utf8')) as T;

export interface AccuracyProblem {
  readonly name: string;
  readonly field: Field;
  readonly y0: number[];
  readonly params: number[];
  readonly t0: number;
  readonly times: number[];
  readonly loss: Loss;
}

/** Sum over the outputs of the squares of the first `n` of `d` components (the positions). */
export function squaredFirst(d: number, n: number): Loss {
  return (y, t, g) => {
    g.fill(0);
    let L = 0;
    for (let k = 0; k < t.length; k++) {
      for (let i = 0; i < n; i++) {
        const v = y[k * d + i];
        L += v * v;
        g[k * d + i] = 2 * v;
      }
    }
    return L;
  };
}

/** Sum over the outputs of (y_i - 1)^2 (lotka_volterra.json's benchmark loss). */
export const offsetSquares: Loss = (y, _t, g) => {
  let L = 0;
  for (let q = 0; q < y.length; q++) {
    const r = y[q] - 1;
    L += r * r;
    g[q] = 2 * r;
  }
  return L;
};

/** The figure-eight with masses 1.0, 0.9, 1.1 over one period, 10 observation times. */
export function figureEightPerturbed(): AccuracyProblem {
  const P = load<{ y0: number[]; observation_times: number[]; benchmark_masses_perturbed: number[] }>('three_body_figure_eight');
  return {
    name: 'figure-eight (m = 1, 0.9, 1.1)',
    field: nbodyField({ bodies: 3 }),
    y0: P.y0,
    params: P.benchmark_masses_perturbed,
    t0: 0,
    times: P.observation_times,
    loss: squaredFirst(18, 9),
  };
}

/**
 * Two equal masses (G = 1, m = 1, 1) on a Kepler ellipse of eccentricity e and semi-major axis 1,
 * started at apocentre in the centre-of-mass frame: relative distance a (1 + e), relative speed
 * sqrt(G M (1 - e) / (a (1 + e))), period 2 pi sqrt(a^3 / (G M)). 10 observation times over
 * `periods` periods; the loss is the sum of squared positions.
 */
export function kepler(e = 0.9, periods = 3): AccuracyProblem {
  const M = 2;
  const ra = 1 + e;
  const va = Math.sqrt((M * (1 - e)) / (1 + e));
  const period = 2 * Math.PI * Math.sqrt(1 / M);
  // Body 1 at -r/2, body 2 at +r/2 (equal masses); velocities likewise.
  const y0 = [-ra / 2, 0, ra / 2, 0, 0, -va / 2, 0, va / 2];
  const T = periods * period;
  const times = Array.from({ length: 10 }, (_, k) => (T * (k + 1)) / 10);
  return { name: `Kepler e = ${e}`, field: nbodyField({ bodies: 2, dims: 2 }), y0, params: [1, 1], t0: 0, times, loss: squaredFirst(8, 4) };
}

/** lotka_volterra.json: its parameters, start and observation times, loss sum (y - 1)^2. */
export function lotkaVolterraProblem(): AccuracyProblem {
  const P = load<{ params: Record<string, number>; y0: number[]; observation_times: number[] }>('lotka_volterra');
  return {
    name: 'Lotka-Volterra',
    field: lotkaVolterraField(),
    y0: P.y0,
    params: [P.params.a, P.params.b, P.params.c, P.params.d],
    t0: 0,
    times: P.observation_times,
    loss: offsetSquares,
  };
}

/** The Brusselator x' = A + x^2 y - (B + 1) x, y' = B x - x^2 y; p = (A, B). */
export function brusselatorField(): Field {
  return {
    dim: 2,
    nParams: 2,
    stateNames: ['x', 'y'],
    paramNames: ['A', 'B'],
    f(_t, y, p, out) {
      const x = y[0], z = y[1];
      out[0] = p[0] + x * x * z - (p[1] + 1) * x;
      out[1] = p[1] * x - x * x * z;
    },
    vjp(_t, y, p, a, outY, outP) {
      const x = y[0], z = y[1];
      const ax = a[0], az = a[1];
      outY[0] = ax * (2 * x * z - (p[1] + 1)) + az * (p[1] - 2 * x * z);
      outY[1] = ax * x * x - az * x * x;
      outP[0] += ax;
      outP[1] += -ax * x + az * x;
    },
  };
}

/** Brusselator A = 1, B = 3 (a limit cycle) from (1.5, 3), 10 outputs on (0, 20]. */
export function brusselator(): AccuracyProblem {
  return {
    name: 'Brusselator',
    field: brusselatorField(),
    y0: [1.5, 3],
    params: [1, 3],
    t0: 0,
    times: Array.from({ length: 10 }, (_, k) => 2 * (k + 1)),
    loss: squaredFirst(2, 2),
  };
}

/** Van der Pol x' = y, y' = mu (1 - x^2) y - x; p = (mu). */
export function vanDerPolField(): Field {
  return {
    dim: 2,
    nParams: 1,
    stateNames: ['x', 'y'],
    paramNames: ['mu'],
    f(_t, y, p, out) {
      const x = y[0], z = y[1];
      out[0] = z;
      out[1] = p[0] * (1 - x * x) * z - x;
    },
    vjp(_t, y, p, a, outY, outP) {
      const x = y[0], z = y[1];
      const ax = a[0], az = a[1];
      outY[0] = az * (-2 * p[0] * x * z - 1);
      outY[1] = ax + az * p[0] * (1 - x * x);
      outP[0] += az * (1 - x * x) * z;
    },
  };
}

/** Van der Pol mu = 2 from (2, 0), 10 outputs on (0, 10]. */
export function vanDerPol(): AccuracyProblem {
  return {
    name: 'Van der Pol mu = 2',
    field: vanDerPolField(),
    y0: [2, 0],
    params: [2],
    t0: 0,
    times: Array.from({ length: 10 }, (_, k) => k + 1),
    loss: squaredFirst(2, 2),
  };
}

export const ACCURACY_PROBLEMS: Readonly<Record<string, () => AccuracyProblem>> = {
  figureEight: figureEightPerturbed,
  kepler09: () => kepler(0.9, 3),
  lotkaVolterra: lotkaVolterraProblem,
  brusselator,
  vanDerPol,
};
