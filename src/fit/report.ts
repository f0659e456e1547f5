/**
 * What a finished fit leaves behind: a JSON report (fitted values, loss history, residuals per
 * series, counters) and an SVG plot (each data series as points against the fitted trajectory as
 * a line, and the loss history on a log scale).
 */
import { solve } from '../solvers/solve.ts';
import { panelGrid, type PlotOptions } from '../plot/svg.ts';
import { observeSeries, type Problem } from '../spec/problem.ts';
import type { FitResult } from './fit.ts';

export interface ReportContext {
  readonly specFile?: string;
  readonly dataFile?: string;
  readonly hash?: string;
  readonly plotFile?: string;
}

/** The `format` key of a fit's report.json (docs/formats.md). */
export const FIT_REPORT_FORMAT = 'aca-ode/fit-report@1';

export function fitReport(problem: Problem, result: FitResult, context: ReportContext = {}): object {
  const residuals = seriesResiduals(problem, result);
  return {
    format: FIT_REPORT_FORMAT,
    name: problem.name,
    spec: context.specFile ?? null,
    data: context.dataFile ?? null,
    hash: context.hash ?? null,
    gradient: problem.gradient,
    solver: problem.solver,
    optimizer: problem.optimizer,
    fitted: Object.fromEntries(
      result.fitted.map((v, j) => {
        const free = problem.free[j];
        return [v.path, { name: v.name, start: v.start, value: v.value, lower: finiteOrNull(free.lower), upper: finiteOrNull(free.upper), transform: free.transform }];
      }),
    ),
    initial: Object.fromEntries(problem.stateNames.map((n, i) => [n, result.y0[i]])),
    params: Object.fromEntries(problem.paramNames.map((n, i) => [n, result.params[i]])),
    loss: result.loss,
    gradientNorm: result.gradientNorm,
    iterations: result.iterations,
    stopReason: result.reason,
    converged: result.reason !== 'iterations',
    history: result.history,
    residuals,
    stats: {
      evaluations: result.counters.evaluations,
      fEvals: result.counters.fEvals,
      vjpEvals: result.counters.vjpEvals,
      acceptedSteps: result.counters.accepted,
      rejectedSteps: result.counters.rejected,
      elapsedMs: Math.round(result.counters.elapsedMs),
      resumedFrom: result.resumedFrom ?? null,
    },
    plot: context.plotFile ?? null,
  };
}

/** RMS residual and observed-cell count of each data series at the fitted values. */
function seriesResiduals(problem: Problem, result: FitResult): Record<string, { rms: number; count: number }> {
  const data = problem.data;
  if (!data) return {};
  const solution = solve(problem.field, result.y0, { ...problem.solver, times: data.times, t0: problem.t0, params: result.params });
  const fitted = observeSeries(problem, solution.y, data.times);
  const m = problem.series.length;
  return Object.fromEntries(
    problem.series.map((s, j) => {
      let sum = 0;
      let count = 0;
      for (let k = 0; k < data.times.length; k++) {
        const d = data.values[k * m + j];
        if (Number.isNaN(d)) continue;
        sum += (fitted[k * m + j] - d) ** 2;
        count++;
      }
      return [s.name, { rms: count > 0 ? Math.sqrt(sum / count) : NaN, count }];
    }),
  );
}

const MAX_PLOT_POINTS = 2000;
const MAX_PLOT_PANELS = 24;

/** The data against the fitted trajectory, one panel per series, and the loss history. */
export function fitPlot(problem: Problem, result: FitResult, points = 400): string {
  const data = problem.data;
  const panels: PlotOptions[] = [];
  if (data) {
    const tEnd = data.times[data.times.length - 1];
    const fine = Float64Array.from({ length: points }, (_, k) => problem.t0 + ((tEnd - problem.t0) * k) / (points - 1));
    const solution = solve(problem.field, result.y0, { ...problem.solver, times: fine, t0: problem.t0, params: result.params });
    const fitted = observeSeries(problem, solution.y, fine);
    const m = problem.series.length;
    // A picture, not a copy of the data: at most MAX_PLOT_POINTS markers (evenly strided rows)
    // and MAX_PLOT_PANELS panels, so that a million-row file gives a small SVG.
    const stride = Math.max(1, Math.ceil(data.times.length / MAX_PLOT_POINTS));
    const rows = Array.from({ length: Math.ceil(data.times.length / stride) }, (_, i) => i * stride);
    problem.series.slice(0, MAX_PLOT_PANELS).forEach((s, j) => {
      panels.push({
        title: s.name,
        xLabel: 't',
        yLabel: s.name,
        series: [
          { name: 'data', x: Float64Array.from(rows, (k) => data.times[k]), y: Float64Array.from(rows, (k) => data.values[k * m + j]), style: 'points' },
          { name: 'fit', x: fine, y: Float64Array.from(fine, (_, k) => fitted[k * m + j]), style: 'line' },
        ],
      });
    });
  }
  panels.push({
    title: 'loss',
    xLabel: 'iteration',
    yLabel: 'loss',
    yScale: 'log',
    series: [{ name: 'loss', x: result.history.map((_, k) => k), y: result.history, style: 'line+points', radius: 2 }],
  });
  return panelGrid({ panels, title: `${problem.name}: data and fit` });
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
