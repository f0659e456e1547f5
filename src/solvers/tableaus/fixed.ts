/**
 * Fixed-step methods (no embedded error estimate): they run with a step size given by the user
 * (`dt`) or landed on the output times. Coefficients: Hairer, Norsett, Wanner, Solving ODEs I,
 * sec. II.1.
 */
import type { Tableau } from '../tableau.ts';

export const euler: Tableau = {
  name: 'euler',
  stages: 1,
  a: [[]],
  b: [1],
  c: [0],
  order: 1,
  fsal: false,
  source: 'explicit Euler method',
};

export const midpoint: Tableau = {
  name: 'midpoint',
  stages: 2,
  a: [[], [1 / 2]],
  b: [0, 1],
  c: [0, 1 / 2],
  order: 2,
  fsal: false,
  source: 'explicit midpoint rule (Runge 1895)',
};

export const rk4: Tableau = {
  name: 'rk4',
  stages: 4,
  a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  c: [0, 1 / 2, 1 / 2, 1],
  order: 4,
  fsal: false,
  source: 'classical Runge-Kutta method (Kutta 1901)',
};
