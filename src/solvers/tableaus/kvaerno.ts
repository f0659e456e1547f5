/**
 * Kvaerno's ESDIRK pairs (A. Kvaerno, "Singly diagonally implicit Runge-Kutta methods with an
 * explicit first stage", BIT 44 (2004) 489-502), named as in diffrax. Both are L-stable and
 * stiffly accurate: the first stage is explicit (a_11 = 0), every other stage has the diagonal
 * gamma, the last row of a (with its gamma) is b, and the embedded solution is the stage before
 * the last (also a stage with c = 1), so e = b - (row s-1 of a, with its gamma).
 *
 * The coefficient values (facts of the paper) were read from diffrax's kvaerno3.py and
 * kvaerno5.py; gamma of the 3(2) pair is the root near 0.4359 of 6 g^3 - 18 g^2 + 9 g - 1 = 0
 * (the L-stability condition), here to full double precision rather than diffrax's 11 digits,
 * and the other 3(2) coefficients are the closed forms in gamma. The 5(4) coefficients are given
 * to 17 digits; methods.ts checks the order conditions of both when they are prepared.
 */
import type { Tableau } from '../tableau.ts';

const g3 = 0.435866521508458999416019451194;
const k3a31 = (-4 * g3 * g3 + 6 * g3 - 1) / (4 * g3);
const k3a32 = (-2 * g3 + 1) / (4 * g3);
const k3a41 = (6 * g3 - 1) / (12 * g3);
const k3a42 = -1 / ((24 * g3 - 12) * g3);
const k3a43 = (-6 * g3 * g3 + 6 * g3 - 1) / (6 * g3 - 3);

export const kvaerno3: Tableau = {
  name: 'kvaerno3',
  stages: 4,
  a: [[], [g3], [k3a31, k3a32], [k3a41, k3a42, k3a43]],
  gamma: g3,
  b: [k3a41, k3a42, k3a43, g3],
  c: [0, 2 * g3, 1, 1],
  order: 3,
  e: [k3a41 - k3a31, k3a42 - k3a32, k3a43 - g3, g3],
  errorOrder: 2,
  fsal: false,
  source: 'Kvaerno (2004), ESDIRK 3(2), 4 stages; values as in diffrax kvaerno3.py',
};

const g5 = 0.26;
const row6 = [0.13855640231268224, 0, -0.04245337201752043, 0.02446657898003141, 0.61943039072480676];
const row7 = [0.13659751177640291, 0, -0.05496908796538376, -0.04118626728321046, 0.62993304899016403, 0.06962479448202728];

export const kvaerno5: Tableau = {
  name: 'kvaerno5',
  stages: 7,
  a: [
    [],
    [g5],
    [0.13, 0.84033320996790809],
    [0.22371961478320505, 0.47675532319799699, -0.06470895363112615],
    [0.16648564323248321, 0.1045001884159172, 0.03631482272098715, -0.13090704451073998],
    row6,
    row7,
  ],
  gamma: g5,
  b: [...row7, g5],
  c: [0, 0.52, 1.230333209967908, 0.8957659843500759, 0.43639360985864756, 1, 1],
  order: 5,
  e: [...row7.map((v, j) => v - (j < 5 ? row6[j] : g5)), g5],
  errorOrder: 4,
  fsal: false,
  source: 'Kvaerno (2004), ESDIRK 5(4), 7 stages; values as in diffrax kvaerno5.py',
};
