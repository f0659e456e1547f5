/**
 * The SVG of a time-series fit: one panel per state with the data as points, the fitted
 * trajectory over the data's span and the forecast past its end as lines, and (for two states)
 * the phase plane, drawn from the forecast's even grid (dense: 500 points by default), never from
 * the data times, so that a sparse series still gives a smooth curve. An optional reference trajectory (the truth of a synthetic problem) is drawn
 * as a thin line, and the training loss as a last panel.
 */
import { panelGrid, type PlotOptions, type PlotSeries } from '../plot/svg.ts';
import type { Forecast } from './forecast.ts';
import type { TimeSeries } from './series.ts';

export interface ForecastPlotOptions {
  readonly title?: string;
  readonly stateNames?: readonly string[];
  /** A reference trajectory on the forecast's grid (n x d), e.g. the true solution. */
  readonly reference?: { readonly name: string; readonly states: Float64Array };
  /** Adds a panel of the training loss per iteration (log scale). */
  readonly history?: readonly { readonly iteration: number; readonly loss: number }[];
}

export function forecastPlot(series: TimeSeries, fc: Forecast, options: ForecastPlotOptions = {}): string {
  const d = fc.dim;
  const names = options.stateNames ?? Array.from({ length: d }, (_, i) => `y${i + 1}`);
  const m = series.observed.length;
  const K = series.times.length;
  const n = fc.times.length;
  const column = (values: Float64Array, rows: number, i: number) => Float64Array.from({ length: rows }, (_, k) => values[k * d + i]);
  // The fitted part ends at the data's end; the forecast starts there (sharing that point).
  const split = fc.times.findIndex((t) => t > fc.dataEnd);
  const cut = split < 0 ? n : split;
  const fitTimes = fc.times.subarray(0, cut);
  const aheadTimes = fc.times.subarray(Math.max(0, cut - 1));

  const panels: PlotOptions[] = names.map((name, i) => {
    const lines: PlotSeries[] = [];
    if (options.reference) {
      lines.push({ name: options.reference.name, x: fc.times, y: column(options.reference.states, n, i), style: 'line', color: '#999', width: 1 });
    }
    const j = series.observed.indexOf(i);
    if (j >= 0) {
      lines.push({ name: 'data', x: series.times, y: Float64Array.from({ length: K }, (_, k) => series.values[k * m + j]), style: 'points', radius: 1.5 });
    }
    const trajectory = column(fc.states, n, i);
    lines.push({ name: 'fit', x: fitTimes, y: trajectory.subarray(0, cut), style: 'line' });
    if (cut < n) lines.push({ name: 'forecast', x: aheadTimes, y: trajectory.subarray(Math.max(0, cut - 1)), style: 'line', color: '#ff7f0e' });
    return { title: name, xLabel: 't', yLabel: name, series: lines };
  });
  if (d === 2) {
    const lines: PlotSeries[] = [];
    if (options.reference) {
      lines.push({ name: options.reference.name, x: column(options.reference.states, n, 0), y: column(options.reference.states, n, 1), color: '#999', width: 1 });
    }
    if (m === 2) {
      const a = series.observed.indexOf(0);
      const b = series.observed.indexOf(1);
      lines.push({
        name: 'data',
        x: Float64Array.from({ length: K }, (_, k) => series.values[k * m + a]),
        y: Float64Array.from({ length: K }, (_, k) => series.values[k * m + b]),
        style: 'points',
        radius: 1.5,
      });
    }
    lines.push({ name: 'model', x: column(fc.states, n, 0), y: column(fc.states, n, 1), style: 'line' });
    panels.push({ title: `${names[1]} against ${names[0]}`, xLabel: names[0], yLabel: names[1], series: lines, equalAspect: true });
  }
  if (options.history && options.history.length > 0) {
    const h = options.history;
    panels.push({
      title: 'training loss',
      xLabel: 'iteration',
      yLabel: 'batch loss',
      yScale: 'log',
      series: [{ name: 'loss', x: h.map((r) => r.iteration), y: h.map((r) => (r.loss > 0 ? r.loss : NaN)), style: 'line', width: 1 }],
    });
  }
  return panelGrid({ panels, title: options.title });
}

/**
 * The plotted series as CSV (fit.csv beside fit.svg): one row per grid time (kind 'grid': the
 * model's states there, the lines of the state panels and the phase plane) and one per data time
 * (kind 'data': the model at that time and the observation, blank where not observed), in time
 * order, grid rows first at a tie.
 */
export function forecastCsv(series: TimeSeries, fc: Forecast, stateNames?: readonly string[]): string {
  const d = fc.dim;
  const names = stateNames ?? Array.from({ length: d }, (_, i) => `y${i + 1}`);
  const m = series.observed.length;
  const header = ['t', 'kind', ...names.flatMap((name) => [`${name}_model`, `${name}_data`])];
  const cell = (v: number) => (Number.isNaN(v) ? '' : String(v));
  const gridRow = (k: number) => [String(fc.times[k]), 'grid', ...names.flatMap((_, i) => [cell(fc.states[k * d + i]), ''])].join(',');
  const dataRow = (k: number) =>
    [
      String(series.times[k]),
      'data',
      ...names.flatMap((_, i) => {
        const j = series.observed.indexOf(i);
        return [cell(fc.atData[k * d + i]), j >= 0 ? cell(series.values[k * m + j]) : ''];
      }),
    ].join(',');
  const rows = [header.join(',')];
  let g = 0;
  for (let k = 0; k < series.times.length; k++) {
    while (g < fc.times.length && fc.times[g] <= series.times[k]) rows.push(gridRow(g++));
    rows.push(dataRow(k));
  }
  while (g < fc.times.length) rows.push(gridRow(g++));
  return rows.join('\n') + '\n';
}
