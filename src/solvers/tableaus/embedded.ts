/**
 * Low-order embedded pairs. e = b - b_hat, so the error estimate h sum e_j K_j is the difference
 * between the propagated solution and the embedded one.
 */
import type { Tableau } from '../tableau.ts';

/** Heun's method (order 2) with Euler (order 1) as the embedded solution. */
export const heunEuler: Tableau = {
  name: 'heun_euler',
  stages: 2,
  a: [[], [1]],
  b: [1 / 2, 1 / 2],
  c: [0, 1],
  order: 2,
  e: [1 / 2 - 1, 1 / 2],
  errorOrder: 1,
  fsal: false,
  source: 'Heun-Euler 2(1) pair',
};

/**
 * Bogacki-Shampine 3(2), FSAL (P. Bogacki, L.F. Shampine, Appl. Math. Lett. 2 (1989) 321-325).
 * b_hat = (7/24, 1/4, 1/3, 1/8).
 */
export const bosh3: Tableau = {
  name: 'bosh3',
  stages: 4,
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  c: [0, 1 / 2, 3 / 4, 1],
  order: 3,
  e: [2 / 9 - 7 / 24, 1 / 3 - 1 / 4, 4 / 9 - 1 / 3, -1 / 8],
  errorOrder: 2,
  fsal: true,
  source: 'Bogacki and Shampine (1989)',
};
