/**
 * Dormand-Prince 5(4), FSAL (J.R. Dormand, P.J. Prince, J. Comput. Appl. Math. 6 (1980) 19-26),
 * with Shampine's continuous extension of order 4 as used in Hairer's DOPRI5 (Solving ODEs I,
 * sec. II.6, "dense output"; the d_j below are Hairer's D1..D7).
 */
import type { Tableau } from '../tableau.ts';

const b = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];
const bHat = [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40];
const d = [
  -12715105075 / 11282082432, 0, 87487479700 / 32700410799, -10690763975 / 1880347072,
  701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423,
];

export const dopri5: Tableau = {
  name: 'dopri5',
  stages: 7,
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    b.slice(0, 6),
  ],
  b,
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  order: 5,
  e: b.map((bj, j) => bj - bHat[j]),
  errorOrder: 4,
  fsal: true,
  dense: b.map((_, j) => hairerDenseWeights(j)),
  denseOrder: 4,
  source: 'Dormand and Prince (1980); dense output from Hairer DOPRI5 (contd5)',
};

/**
 * Hairer's contd5 evaluates y(theta) = r1 + theta (r2 + (1-theta) (r3 + theta (r4 + (1-theta) r5)))
 * with r2 = h sum b K, r3 = h K1 - r2, r4 = r2 - h K7 - r3, r5 = h sum d K. Written as
 * y + h sum_j w_j(theta) K_j this gives, per stage j (delta = Kronecker delta),
 *   w_j = theta b_j + theta(1-theta) (delta_j1 - b_j) + theta^2 (1-theta) (2 b_j - delta_j1 - delta_j7)
 *         + theta^2 (1-theta)^2 d_j,
 * returned as coefficients of theta, theta^2, theta^3, theta^4.
 */
function hairerDenseWeights(j: number): number[] {
  const d1 = j === 0 ? 1 : 0;
  const d7 = j === 6 ? 1 : 0;
  const p = 2 * b[j] - d1 - d7;
  const q = d1 - b[j];
  // theta b + (theta - theta^2) q + (theta^2 - theta^3) p + (theta^2 - 2 theta^3 + theta^4) d
  return [b[j] + q, -q + p + d[j], -p - 2 * d[j], d[j]];
}
