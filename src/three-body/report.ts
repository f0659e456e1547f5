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
 * Orbits on the x-y plane: the truth (lines) and each method's prediction (dashed look through
 * points), one panel per method.
 */
export function orbitPlot(bodies: number, truth: Observations, predictions: { name: string; positions: Float64Array }[], title: string): string {
  const n = 3 * bodies;
  const column = (data: Float64Array, i: number) => Float64Array.from({ length: truth.times.length }, (_, k) => data[k * n + i]);
  const panels: PlotOptions[] = predictions.map((pred) => ({
    title: pred.name,
    xLabel: 'x',
    yLabel: 'y',
    equalAspect: true,
    series: Array.from({ length: bodies }, (_, b) => [
      { name: `body ${b + 1} true`, x: column(truth.positions, 3 * b), y: column(truth.positions, 3 * b + 1), style: 'line' as const, width: 3, color: ['#9ecae1', '#fcae91', '#a1d99b'][b % 3] },
      { name: `body ${b + 1} fit`, x: column(pred.positions, 3 * b), y: column(pred.positions, 3 * b + 1), style: 'line' as const, width: 1, color: ['#08519c', '#a50f15', '#006d2c'][b % 3] },
    ]).flat(),
  }));
  return panelGrid({ panels, title, columns: Math.min(3, panels.length), panelWidth: 420, panelHeight: 380 });
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
