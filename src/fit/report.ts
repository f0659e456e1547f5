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
        return [
          v.path,
          {
            name: v.name,
            start: v.start,
            value: v.value,
            standardError: finiteOrNull(v.standardError),
            lower: finiteOrNull(free.lower),
            upper: finiteOrNull(free.upper),
            transform: free.transform,
          },
        ];
      }),
    ),
    initial: Object.fromEntries(problem.stateNames.map((n, i) => [n, result.y0[i]])),
    params: Object.fromEntries(problem.paramNames.map((n, i) => [n, result.params[i]])),
    loss: result.loss,
    gradientNorm: result.gradientNorm,
    iterations: result.iterations,
    stopReason: result.reason,
    converged: result.converged,
    notConverged: result.converged ? null : result.message,
    optimality: result.certificate
      ? { gaussNewtonReduction: result.certificate.gaussNewtonReduction, gradientCosine: result.certificate.gradientCosine }
      : null,
    uncertainty: uncertaintyReport(result),
    scale: Object.fromEntries(result.fitted.map((v, j) => [v.path, result.scale[j]])),
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

/**
 * The data against the fitted trajectory, one panel per series with its residual panel (data -
 * fit at the data times) beneath, the loss history labelled with the optimizer, and for two series
 * the phase plane (the second against the first).
 */
export function fitPlot(problem: Problem, result: FitResult, points = 400): string {
  const data = problem.data;
  const top: PlotOptions[] = [];
  const bottom: PlotOptions[] = [];
  let phase: PlotOptions | undefined;
  if (data) {
    const { fine, fitted, atData } = fittedSeries(problem, result, points);
    const m = problem.series.length;
    // A picture, not a copy of the data: at most MAX_PLOT_POINTS markers (evenly strided rows)
    // and MAX_PLOT_PANELS panels, so that a million-row file gives a small SVG.
    const stride = Math.max(1, Math.ceil(data.times.length / MAX_PLOT_POINTS));
    const rows = Array.from({ length: Math.ceil(data.times.length / stride) }, (_, i) => i * stride);
    const rowTimes = Float64Array.from(rows, (k) => data.times[k]);
    problem.series.slice(0, MAX_PLOT_PANELS).forEach((s, j) => {
      const observed = Float64Array.from(rows, (k) => data.values[k * m + j]);
      top.push({
        title: s.name,
        xLabel: 't',
        yLabel: s.name,
        series: [
          { name: 'data', x: rowTimes, y: observed, style: 'points' },
          { name: 'fit', x: fine, y: Float64Array.from(fine, (_, k) => fitted[k * m + j]), style: 'line' },
        ],
      });
      bottom.push({
        title: `${s.name}: residual (data - fit)`,
        xLabel: 't',
        yLabel: 'residual',
        legend: false,
        series: [
          { name: 'zero', x: [data.times[0], data.times[data.times.length - 1]], y: [0, 0], style: 'line', color: '#999', width: 1 },
          { name: 'residual', x: rowTimes, y: Float64Array.from(observed, (v, q) => v - atData[rows[q] * m + j]), style: 'points', radius: 2 },
        ],
      });
    });
    if (m === 2) {
      // The phase plane of two series: the fit from the dense grid (`points` times), never the
      // data times, so that sparse data still give a smooth curve; the data where both are observed.
      const [a, b] = problem.series;
      phase = {
        title: `${b.name} against ${a.name}`,
        xLabel: a.name,
        yLabel: b.name,
        series: [
          { name: 'data', x: Float64Array.from(rows, (k) => data.values[k * m]), y: Float64Array.from(rows, (k) => data.values[k * m + 1]), style: 'points' },
          { name: 'fit', x: Float64Array.from(fine, (_, k) => fitted[k * m]), y: Float64Array.from(fine, (_, k) => fitted[k * m + 1]), style: 'line' },
        ],
      };
    }
  }
  const loss: PlotOptions = {
    title: `loss during the fit (${problem.optimizer.method})`,
    xLabel: 'iteration',
    yLabel: 'loss',
    yScale: 'log',
    series: [{ name: 'loss', x: result.history.map((_, k) => k), y: result.history, style: 'line+points', radius: 2 }],
  };
  const columns = Math.max(1, top.length);
  const panels = [...top, ...bottom, loss, ...(phase ? [phase] : [])];
  return panelGrid({ panels, columns, title: `${problem.name}: data and fit` });
}

/** The plotted series as CSV: per data time, each series' data, fit and residual. */
export function fitCsv(problem: Problem, result: FitResult): string {
  const data = problem.data;
  if (!data) return '';
  const { atData } = fittedSeries(problem, result, 2);
  const m = problem.series.length;
  const header = ['t', ...problem.series.flatMap((s) => [`${s.name}_data`, `${s.name}_fit`, `${s.name}_residual`])];
  const rows = Array.from(data.times, (t, k) => [
    t,
    ...problem.series.flatMap((_, j) => {
      const v = data.values[k * m + j];
      const fit = atData[k * m + j];
      return [v, fit, v - fit];
    }),
  ]);
  return [header.join(','), ...rows.map((r) => r.map((v) => (Number.isNaN(v) ? '' : String(v))).join(','))].join('\n') + '\n';
}

function fittedSeries(problem: Problem, result: FitResult, points: number) {
  const data = problem.data!;
  const tEnd = data.times[data.times.length - 1];
  const fine = Float64Array.from({ length: points }, (_, k) => problem.t0 + ((tEnd - problem.t0) * k) / (points - 1));
  const solution = solve(problem.field, result.y0, { ...problem.solver, times: fine, t0: problem.t0, params: result.params });
  const fitted = observeSeries(problem, solution.y, fine);
  const exact = solve(problem.field, result.y0, { ...problem.solver, times: data.times, t0: problem.t0, params: result.params });
  const atData = observeSeries(problem, exact.y, data.times);
  return { fine, fitted, atData };
}

/** Standard errors, correlations by name, and the identifiability diagnostics (JSON). */
function uncertaintyReport(result: FitResult): object | null {
  const u = result.uncertainty;
  if (!u) return null;
  const paths = result.fitted.map((v) => v.path);
  const n = paths.length;
  return {
    method: 'Gauss-Newton covariance s^2 (J^T J)^-1, s^2 = |r|^2 / (m - n)',
    residualVariance: u.residualVariance,
    dof: u.dof,
    condition: finiteOrNull(u.condition),
    unidentifiable: u.unidentifiable,
    standardErrors: Object.fromEntries(paths.map((p, j) => [p, finiteOrNull(u.standardErrors[j])])),
    correlation: u.correlation ? Object.fromEntries(paths.map((p, i) => [p, Object.fromEntries(paths.map((q, j) => [q, u.correlation![i * n + j]]))])) : null,
  };
}

/** The lines `aca fit` prints: the verdict, each value with its standard error, warnings. */
export function fitSummary(result: FitResult): string[] {
  const verdict = result.converged ? `converged (${result.reason})` : `NOT converged: ${result.message}`;
  const width = Math.max(...result.fitted.map((v) => v.path.length));
  const lines = [
    `fitted ${result.fitted.length} values in ${result.iterations} iterations; loss ${result.loss.toExponential(6)}`,
    verdict,
    ...result.fitted.map((v) => {
      const se = Number.isFinite(v.standardError) ? ` ± ${v.standardError.toPrecision(3)}` : '';
      return `  ${v.path.padEnd(width)}  ${formatNumber(v.value)}${se}  (from ${v.start})`;
    }),
  ];
  const u = result.uncertainty;
  if (u && u.unidentifiable.length > 0) {
    lines.push(
      `warning: J^T J is ill-conditioned (condition ${u.condition.toPrecision(2)}): the data do not identify ${u.unidentifiable.join(', ')} ` +
        '(their standard errors are not meaningful; fix one of them or add data that separates them)',
    );
  }
  return lines;
}

/** Full precision (17 significant digits trimmed to the shortest that round-trips). */
function formatNumber(v: number): string {
  return String(v).padStart(12);
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
