/**
 * Writes data/spiral.csv: the cubic spiral of data/problems/spiral.json (torchdiffeq's ode_demo),
 * dy/dt = (y^3) A with A = [[-0.1, 2], [-2, -0.1]] and y0 = (2, 0), at its 1,000 evenly spaced
 * times on [0, 25], solved with dopri5 at rtol 1e-10, atol 1e-12 (timeseries/spiral.ts
 * spiralSeries, the series the spiral tests and scripts/spiral.ts train on), values to 10
 * significant digits, no noise. The states are named x and y (y1 and y2 in the problem file).
 *
 *   node --import tsx scripts/make-spiral-data.ts [out.csv]
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { formatCsv } from '../src/io/csv-write.ts';
import { spiralSeries, type SpiralProblem } from '../src/timeseries/spiral.ts';

const problem = JSON.parse(readFileSync(new URL('../data/problems/spiral.json', import.meta.url), 'utf8')) as SpiralProblem;
const series = spiralSeries(problem);
const rows = Array.from(series.times, (t, k) => [
  t,
  ...[0, 1].map((i) => Number(series.values[2 * k + i].toPrecision(10))),
]);
const header = [
  '# The cubic spiral of data/problems/spiral.json, written by scripts/make-spiral-data.ts:',
  "# (x, y)' = (x^3, y^3) A with A = [[-0.1, 2], [-2, -0.1]], (x, y)(0) = (2, 0),",
  '# at 1000 even times on [0, 25] (dopri5, rtol 1e-10, atol 1e-12); no noise.',
].join('\n');
const out = process.argv[2] ?? new URL('../data/spiral.csv', import.meta.url).pathname;
await writeFileAtomic(out, header + '\n' + formatCsv(['t', 'x', 'y'], rows));
console.log(`wrote ${out}: ${rows.length} rows`);
