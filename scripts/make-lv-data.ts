/**
 * Writes data/lotka_volterra.csv: synthetic observations of the Lotka-Volterra problem of
 * data/problems/lotka_volterra.json (a, b, c, d) = (1.5, 1, 3, 1), y0 = (1, 1) at t0 = 0, at 100
 * irregular times drawn uniformly on (0, 10] (sorted, 3 decimals), each value multiplied by
 * (1 + 0.01 n) with n standard normal (1% multiplicative Gaussian noise). Seeded, so every run
 * writes the same file. The trajectory is solved with dopri8 at rtol = atol = 1e-12.
 *
 *   node --import tsx scripts/make-lv-data.ts [out.csv]
 */
import { lotkaVolterraField } from '../src/fields/classic.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { formatCsv } from '../src/io/csv-write.ts';
import { solve } from '../src/solvers/solve.ts';
import { createRng } from '../src/util/random.ts';

const SEED = 20240607;
const COUNT = 100;
const NOISE = 0.01;
const TRUE_PARAMS = [1.5, 1, 3, 1];
const Y0 = [1, 1];

const rng = createRng(SEED);
const times = new Set<number>();
while (times.size < COUNT) {
  const t = Math.round((1 - rng.next()) * 10 * 1000) / 1000; // (0, 10], 3 decimals
  if (t > 0) times.add(t);
}
const sorted = [...times].sort((a, b) => a - b);
const solution = solve(lotkaVolterraField(), Y0, { times: sorted, t0: 0, params: TRUE_PARAMS, method: 'dopri8', rtol: 1e-12, atol: 1e-12 });
const rows = sorted.map((t, k) => {
  const noisy = [0, 1].map((i) => solution.y[2 * k + i] * (1 + NOISE * rng.normal()));
  return [t, ...noisy.map((v) => Number(v.toPrecision(7)))];
});
const header = [
  '# Synthetic Lotka-Volterra data, written by scripts/make-lv-data.ts (seed 20240607):',
  '# x\' = a x - b x y, y\' = -c y + d x y with (a, b, c, d) = (1.5, 1, 3, 1), (x, y)(0) = (1, 1),',
  '# at 100 irregular times in (0, 10], each value times (1 + 0.01 n), n ~ N(0, 1).',
].join('\n');
const out = process.argv[2] ?? new URL('../data/lotka_volterra.csv', import.meta.url).pathname;
await writeFileAtomic(out, header + '\n' + formatCsv(['t', 'x', 'y'], rows));
console.log(`wrote ${out}: ${rows.length} rows`);
