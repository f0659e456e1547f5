/**
 * What the three-body job shows: the comparison table of the gradient methods, and the pictures
 * (true and predicted orbits projected on the x-y plane; the loss curves of the methods).
 */
import { linePlot, panelGrid, type PlotOptions } from '../plot/svg.ts';
import type { MethodOutcome } from './paper-experiment.ts';
import type { Observations } from './observations.ts';

export interface TableRow {
  readonly method: string;
  readonly masses: Float64Array;
  readonly relativeErrors: Float64Array | null;
  readonly testWeighted: number | null;
  readonly testUnweighted: number | null;
  readonly finalLoss: number;
  readonly wallMs: number;
  readonly gradientEvaluations: number;
  readonly peakBytes: number;
}

export function rowsFromOutcomes(outcomes: readonly MethodOutcome[]): TableRow[] {
  return outcomes.map((o) => ({
    method: o.method,
    masses: o.fit.masses,
    relativeErrors: o.relativeErrors,
    testWeighted: o.test.weighted,
    testUnweighted: o.test.unweighted,
    finalLoss: o.fit.lossHistory.at(-1) ?? NaN,
    wallMs: o.fit.wallMs,
    gradientEvaluations: o.fit.gradientEvaluations,
    peakBytes: o.fit.peakBytes,
  }));
}

/** A fixed-width table, one row per method. */
export function comparisonTable(rows: readonly TableRow[]): string {
  const head = ['method', 'fitted masses', 'max rel. error', 'test loss (0.1^t)', 'test MSE', 'train loss', 'wall s', 'gradients', 'bytes held'];
  const body = rows.map((r) => [
    r.method,
    Array.from(r.masses, (m) => m.toFixed(5)).join(' '),
    r.relativeErrors ? Math.max(...r.relativeErrors).toExponential(2) : '-',
    r.testWeighted === null ? '-' : r.testWeighted.toExponential(2),
    r.testUnweighted === null ? '-' : r.testUnweighted.toExponential(2),
    r.finalLoss.toExponential(2),
    (r.wallMs / 1000).toFixed(2),
    String(r.gradientEvaluations),
    formatBytes(r.peakBytes),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Two panels: the orbits on the x-y plane (the truth wide and pale, each method's fit dashed, one
 * dash pattern per method, each body's start marked), and |position error| (over all bodies)
 * against t on a log axis, with the end of the training data marked when `trainEnd` is given.
 * One orbit panel for all methods: their fits coincide to the eye, their errors do not.
 */
export function orbitPlot(
  bodies: number,
  truth: Observations,
  predictions: { name: string; positions: Float64Array }[],
  title: string,
  trainEnd?: number,
): string {
  const n = 3 * bodies;
  const K = truth.times.length;
  const column = (data: Float64Array, i: number) => Float64Array.from({ length: K }, (_, k) => data[k * n + i]);
  const pale = ['#9ecae1', '#fcae91', '#a1d99b'];
  const dark = ['#08519c', '#a50f15', '#006d2c'];
  const orbitSeries = Array.from({ length: bodies }, (_, b) => {
    const x = column(truth.positions, 3 * b);
    const y = column(truth.positions, 3 * b + 1);
    const first = x.findIndex((v, k) => Number.isFinite(v) && Number.isFinite(y[k]));
    return [
      { name: `body ${b + 1} observed`, x, y, style: 'line' as const, width: 4, color: pale[b % 3] },
      ...predictions.map((pred, m) => ({
        name: `body ${b + 1} ${pred.name}`,
        x: column(pred.positions, 3 * b),
        y: column(pred.positions, 3 * b + 1),
        style: 'line' as const,
        width: 1.5,
        color: dark[b % 3],
        dash: DASHES[(m + 1) % DASHES.length],
      })),
      ...(first >= 0 ? [{ name: `body ${b + 1} start`, x: [x[first]], y: [y[first]], style: 'points' as const, radius: 5, color: dark[b % 3] }] : []),
    ];
  }).flat();
  const errorSeries = predictions.map((pred, m) => ({
    name: pred.name,
    x: truth.times,
    y: Float64Array.from({ length: K }, (_, k) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const e = pred.positions[k * n + i] - truth.positions[k * n + i];
        if (Number.isFinite(e)) s += e * e;
      }
      return Math.sqrt(s);
    }),
    style: 'line' as const,
    width: 2,
    dash: DASHES[m % DASHES.length],
  }));
  const finite = errorSeries.flatMap((s) => Array.from(s.y).filter((v) => v > 0 && Number.isFinite(v)));
  const lo = finite.length ? Math.min(...finite) : 1e-12;
  const hi = finite.length ? Math.max(...finite) : 1;
  if (trainEnd !== undefined) {
    errorSeries.push({ name: 'end of training data', x: Float64Array.of(trainEnd, trainEnd), y: Float64Array.of(lo, hi), style: 'line' as const, width: 1, dash: '3 3', color: '#555' } as (typeof errorSeries)[number]);
  }
  const panels: PlotOptions[] = [
    { title: 'orbits (x-y plane)', xLabel: 'x', yLabel: 'y', equalAspect: true, legend: false, series: orbitSeries },
    { title: '|position error| (all bodies)', xLabel: 't', yLabel: '|r_fit - r_observed|', yScale: 'log', series: errorSeries },
  ];
  return panelGrid({ panels, title, columns: 2, panelWidth: 520, panelHeight: 440 });
}

/** Training loss against epoch for each method (log scale). */
const DASHES = ['', '8 4', '2 3', '10 3 2 3'];

export function lossPlot(curves: { name: string; losses: readonly number[] }[], title: string): string {
  return linePlot({
    title,
    xLabel: 'epoch',
    yLabel: 'training loss',
    yScale: 'log',
    // Distinct dashes: the methods' curves often coincide (ACA and naive agree to round-off).
    series: curves.map((c, k) => ({ name: c.name, x: c.losses.map((_, i) => i + 1), y: c.losses, style: 'line' as const, dash: DASHES[k % DASHES.length], width: 2 })),
  });
}

const csvCell = (v: number) => (Number.isFinite(v) ? String(v) : '');

/**
 * The orbit picture's numbers (orbits.csv beside orbits.svg): per observation time, each body's
 * observed x, y, z and each method's fitted x, y, z; blank where not observed or not finite.
 */
export function orbitCsv(bodies: number, truth: Observations, predictions: readonly { name: string; positions: Float64Array }[]): string {
  const n = 3 * bodies;
  const axes = ['x', 'y', 'z'];
  const header = ['t'];
  for (let b = 0; b < bodies; b++) {
    for (const a of axes) header.push(`body${b + 1}_${a}_observed`);
    for (const pred of predictions) for (const a of axes) header.push(`body${b + 1}_${a}_${pred.name}`);
  }
  const rows = Array.from(truth.times, (t, k) => {
    const row = [String(t)];
    for (let b = 0; b < bodies; b++) {
      for (let i = 0; i < 3; i++) row.push(csvCell(truth.positions[k * n + 3 * b + i]));
      for (const pred of predictions) for (let i = 0; i < 3; i++) row.push(csvCell(pred.positions[k * n + 3 * b + i]));
    }
    return row.join(',');
  });
  return [header.join(','), ...rows].join('\n') + '\n';
}

/** The loss picture's numbers (loss.csv beside loss.svg): per epoch, each method's training loss. */
export function lossCsv(curves: readonly { name: string; losses: readonly number[] }[]): string {
  const epochs = Math.max(0, ...curves.map((c) => c.losses.length));
  const rows = Array.from({ length: epochs }, (_, i) => [String(i + 1), ...curves.map((c) => (i < c.losses.length ? csvCell(c.losses[i]) : ''))].join(','));
  return [['epoch', ...curves.map((c) => c.name)].join(','), ...rows].join('\n') + '\n';
}
