/**
 * Writes the example observations of `aca three-body --data` (README, docs/three-body.md):
 * heliocentric positions of Jupiter and Saturn in AU, every 10 days for 60 years, as two
 * 30-year windows (data/planets-1.csv, data/planets-2.csv), and the starting values
 * data/planets-start.json.
 *
 * The known system: the Sun (1 solar mass), Jupiter (9.547919e-4) and Saturn (2.858860e-4), on
 * orbits from approximate J2000 mean elements (a, e, i, Omega, longitude of perihelion, mean
 * longitude: Standish, "Keplerian Elements for Approximate Positions of the Major Planets", JPL;
 * rounded), units AU, days, solar masses (G = k^2, k = 0.01720209895). The three bodies are
 * integrated in the inertial frame (fields/nbody.ts, dopri8 at rtol = atol = 1e-13, steps landed
 * on the times); the data are the planets' positions minus the Sun's (columns x1 y1 z1, the Sun,
 * are 0), each coordinate plus Gaussian noise of 1e-5 AU (seed 20261130).
 *
 * Starting values: the masses 5% off (Jupiter +5%, Saturn -5%; the Sun's is known and held fixed
 * by --fix m1), each window's initial heliocentric state the true one plus 1e-3 AU on every
 * position and 1e-6 AU/day on every velocity.
 *
 *   node --import tsx scripts/make-planets-data.ts
 */
import { writeFileAtomic } from '../src/io/atomic.ts';
import { formatCsv } from '../src/io/csv-write.ts';
import { nbodyField } from '../src/fields/nbody.ts';
import { solve } from '../src/solvers/solve.ts';
import { UNIT_SYSTEMS } from '../src/three-body/system.ts';
import { createRng } from '../src/util/random.ts';

const G = UNIT_SYSTEMS['au-day-msun'].G;
export const PLANET_MASSES = [1, 9.547919e-4, 2.858860e-4];
const NOISE = 1e-5;
const SEED = 20261130;
const DAY_STEP = 10;
const WINDOW_DAYS = 10960; // 30 years, a multiple of 10 days
const deg = Math.PI / 180;

// a [AU], e, i, Omega, varpi (longitude of perihelion), L (mean longitude) [deg], J2000.
const ELEMENTS = [
  { a: 5.2026, e: 0.04849, i: 1.303, node: 100.464, varpi: 14.331, L: 34.396 },
  { a: 9.5549, e: 0.05551, i: 2.489, node: 113.666, varpi: 93.057, L: 49.954 },
];

/** Heliocentric position and velocity from elements (Murray and Dermott, sec. 2.8). */
function stateFromElements(el: (typeof ELEMENTS)[number], mu: number): number[] {
  const omega = (el.varpi - el.node) * deg;
  const M = (el.L - el.varpi) * deg;
  let E = M;
  for (let k = 0; k < 50; k++) E -= (E - el.e * Math.sin(E) - M) / (1 - el.e * Math.cos(E));
  const n = Math.sqrt(mu / el.a ** 3);
  const xp = el.a * (Math.cos(E) - el.e);
  const yp = el.a * Math.sqrt(1 - el.e ** 2) * Math.sin(E);
  const dE = n / (1 - el.e * Math.cos(E));
  const vxp = -el.a * Math.sin(E) * dE;
  const vyp = el.a * Math.sqrt(1 - el.e ** 2) * Math.cos(E) * dE;
  const [cO, sO, cw, sw, ci, si] = [Math.cos(el.node * deg), Math.sin(el.node * deg), Math.cos(omega), Math.sin(omega), Math.cos(el.i * deg), Math.sin(el.i * deg)];
  const rot = (x: number, y: number) => [
    (cO * cw - sO * sw * ci) * x + (-cO * sw - sO * cw * ci) * y,
    (sO * cw + cO * sw * ci) * x + (-sO * sw + cO * cw * ci) * y,
    sw * si * x + cw * si * y,
  ];
  return [...rot(xp, yp), ...rot(vxp, vyp)];
}

/** The inertial (barycentric) state of Sun, Jupiter, Saturn at t = 0. */
export function planetsInitialState(): Float64Array {
  const helio = ELEMENTS.map((el, j) => stateFromElements(el, G * (PLANET_MASSES[0] + PLANET_MASSES[j + 1])));
  const total = PLANET_MASSES.reduce((a, b) => a + b, 0);
  const y = new Float64Array(18);
  for (let a = 0; a < 3; a++) {
    // Barycentre at rest at the origin: the Sun's offset is -sum m_j r_j / M.
    let r = 0;
    let v = 0;
    helio.forEach((s, j) => {
      r += PLANET_MASSES[j + 1] * s[a];
      v += PLANET_MASSES[j + 1] * s[3 + a];
    });
    y[a] = -r / total;
    y[9 + a] = -v / total;
    helio.forEach((s, j) => {
      y[3 * (j + 1) + a] = y[a] + s[a];
      y[9 + 3 * (j + 1) + a] = y[9 + a] + s[3 + a];
    });
  }
  return y;
}

function heliocentricRow(y: ArrayLike<number>): number[] {
  const row: number[] = [];
  for (let b = 0; b < 3; b++) for (let a = 0; a < 3; a++) row.push(y[3 * b + a] - y[a]);
  return row;
}

async function main(): Promise<void> {
  const field = nbodyField({ bodies: 3, dims: 3, G });
  const rng = createRng(SEED);
  const y0 = planetsInitialState();
  const starts: number[][] = [];
  const t0s: number[] = [];
  for (let w = 0; w < 2; w++) {
    const t0 = w * WINDOW_DAYS;
    const times = Array.from({ length: WINDOW_DAYS / DAY_STEP + 1 }, (_, k) => t0 + k * DAY_STEP);
    const sol = solve(field, y0, { times: [0, ...times.filter((t) => t > 0)], t0: 0, params: PLANET_MASSES, method: 'dopri8', rtol: 1e-13, atol: 1e-13, maxSteps: 1e7, landOnOutputs: true });
    const offset = t0 === 0 ? 0 : 1;
    const rows = times.map((t, k) => {
      const y = sol.y.subarray((k + offset) * 18, (k + offset + 1) * 18);
      const helio = heliocentricRow(y);
      return [t, ...helio.map((v, i) => (i < 3 ? 0 : Number((v + NOISE * rng.normal()).toPrecision(10))))];
    });
    const first = sol.y.subarray(offset * 18, (offset + 1) * 18);
    const state = Array.from({ length: 18 }, (_, i) => {
      const body = Math.floor((i % 9) / 3);
      const axis = i % 3;
      const value = first[i] - first[(i < 9 ? 0 : 9) + axis];
      if (body === 0) return 0;
      return Number((value + (i < 9 ? 1e-3 : 1e-6)).toPrecision(12));
    });
    starts.push(state);
    t0s.push(t0);
    const header = [
      `# Heliocentric positions (AU) of the Sun (x1 y1 z1 = 0), Jupiter (2) and Saturn (3), window ${w + 1}: days ${t0}..${t0 + WINDOW_DAYS}.`,
      `# Written by scripts/make-planets-data.ts: masses ${PLANET_MASSES.join(', ')} (solar), approximate J2000 elements,`,
      `# dopri8 at 1e-13 in the inertial frame, Gaussian noise 1e-5 AU per coordinate (seed ${SEED}).`,
    ].join('\n');
    const out = new URL(`../data/planets-${w + 1}.csv`, import.meta.url).pathname;
    await writeFileAtomic(out, header + '\n' + formatCsv(['t', 'x1', 'y1', 'z1', 'x2', 'y2', 'z2', 'x3', 'y3', 'z3'], rows));
    console.log(`wrote ${out}: ${rows.length} rows`);
  }
  const start = {
    note: 'scripts/make-planets-data.ts: masses 5% off (Sun known), heliocentric states + 1e-3 AU, + 1e-6 AU/day',
    units: 'au-day-msun',
    masses: [1, PLANET_MASSES[1] * 1.05, PLANET_MASSES[2] * 0.95],
    y0: starts,
    t0: t0s,
  };
  const out = new URL('../data/planets-start.json', import.meta.url).pathname;
  await writeFileAtomic(out, JSON.stringify(start, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
