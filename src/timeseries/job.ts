/**
 * A whole time-series fitting job, as `aca fit` runs it for a neural or hybrid spec: train (in
 * phases, or one run), forecast from the fitted model past the data's end, and write three files
 * to the output folder, each atomically:
 *   report.json   settings, stop reason, timing, losses, fitted parameters by name, the error on
 *                 the data and the forecast (per state, on an even grid to `until`)
 *   fit.svg       data, fit and forecast per state (and the phase plane for two states), loss
 *   fit.csv       the plotted series: the model on the even grid and at the data times, the data
 *   model.json    the fitted model (model-io.ts), loadable with loadFittedModel
 * The caller builds the field (from the spec) and the series (from the data) and reports progress
 * through the training callbacks.
 */
import { join } from 'node:path';
import type { Field } from '../fields/field.ts';
import { makeOutputFolder, writeFileAtomic } from '../io/atomic.ts';
import { forecast, forecastReport, type Forecast } from './forecast.ts';
import { fittedModelJson } from './model-io.ts';
import { forecastCsv, forecastPlot } from './plot.ts';
import type { TimeSeries } from './series.ts';
import { trainInPhases, trainTimeSeries, type TrainOptions, type TrainResult } from './train.ts';

/** The `format` key of a trained time-series model's report.json (docs/formats.md). */
export const TIMESERIES_REPORT_FORMAT = 'aca-ode/timeseries-report@1';

export const TIMESERIES_FILES = { report: 'report.json', plot: 'fit.svg', csv: 'fit.csv', model: 'model.json' } as const;

export interface TimeSeriesJob {
  /** Everything trainTimeSeries takes (field, series, params, y0, iterations, lr, ...). */
  readonly train: TrainOptions;
  /** Optional phases (trainInPhases): each overrides `train` for its run. */
  readonly phases?: readonly Partial<Omit<TrainOptions, 'field' | 'series'>>[];
  /** End of the forecast (default: the data's end, i.e. no forecast past it). */
  readonly until?: number;
  /** Points of the forecast grid (default 500). */
  readonly points?: number;
  /** Folder for report.json, fit.svg and model.json; nothing is written without it. */
  readonly outDir?: string;
  /** A name for the report and the plot's title. */
  readonly name?: string;
}

export interface TimeSeriesJobResult {
  readonly result: TrainResult;
  readonly forecast: Forecast;
  readonly report: Record<string, unknown>;
  readonly svg: string;
  /** Paths written (empty without outDir). */
  readonly files: readonly string[];
}

export async function runTimeSeriesJob(job: TimeSeriesJob): Promise<TimeSeriesJobResult> {
  const { field, series } = job.train;
  const result = job.phases ? await trainInPhases(job.train, job.phases) : await trainTimeSeries(job.train);
  const dataEnd = series.times[series.times.length - 1];
  const fc = forecast(field, result.params, result.y0, series, {
    until: job.until ?? dataEnd,
    points: job.points,
    solver: result.settings.solver,
  });
  const stateNames = names(field.stateNames, field.dim, 'y');
  const paramNames = names(field.paramNames, field.nParams, 'p');
  const report = timeSeriesReport(job.name ?? null, field, series, result, fc, stateNames, paramNames);
  const svg = forecastPlot(series, fc, {
    title: `${job.name ?? 'fit'}: data, fit and forecast (MSE on the data ${fc.mseOnData.toExponential(3)})`,
    stateNames,
    history: result.history,
  });
  const files: string[] = [];
  if (job.outDir) {
    await makeOutputFolder(job.outDir);
    const model = fittedModelJson({ field, params: result.params, y0: result.y0, t0: series.times[0], training: report.training as Record<string, unknown> });
    const write = async (file: string, content: string) => {
      const path = join(job.outDir!, file);
      await writeFileAtomic(path, content);
      files.push(path);
    };
    await write(TIMESERIES_FILES.model, `${JSON.stringify(model, null, 2)}\n`);
    await write(TIMESERIES_FILES.plot, svg);
    await write(TIMESERIES_FILES.csv, forecastCsv(series, fc, stateNames));
    await write(TIMESERIES_FILES.report, `${JSON.stringify(report, null, 2)}\n`);
  }
  return { result, forecast: fc, report, svg, files };
}

function timeSeriesReport(
  name: string | null,
  field: Field,
  series: TimeSeries,
  result: TrainResult,
  fc: Forecast,
  stateNames: readonly string[],
  paramNames: readonly string[],
): Record<string, unknown> {
  return {
    format: TIMESERIES_REPORT_FORMAT,
    name,
    field: field.spec?.kind ?? null,
    states: stateNames,
    observed: series.columns,
    training: {
      ...result.settings,
      iterations: result.iterations,
      reason: result.reason,
      bestIteration: result.bestIteration,
      validationLoss: Number.isFinite(result.validationLoss) ? result.validationLoss : null,
      trainRows: result.trainRows,
      heldOutRows: series.times.length - result.trainRows,
      startFrom: result.startFrom,
      failedBatches: result.failedBatches,
      failedSubsequences: result.failedSubsequences,
      emptyBatches: result.emptyBatches,
      elapsedMs: Math.round(result.ms),
      msPerIteration: result.msPerIteration,
      stats: result.stats,
    },
    history: {
      iteration: result.history.map((h) => h.iteration),
      loss: result.history.map((h) => (Number.isFinite(h.loss) ? h.loss : null)),
      lr: result.history.map((h) => h.lr),
    },
    validations: result.validations.map((v) => ({ ...v, loss: Number.isFinite(v.loss) ? v.loss : null })),
    y0: Object.fromEntries(stateNames.map((n, i) => [n, result.y0[i]])),
    params: Object.fromEntries(paramNames.map((n, j) => [n, result.params[j]])),
    mseOnData: fc.mseOnData,
    forecast: forecastReport(fc, stateNames),
  };
}

function names(given: readonly string[] | undefined, n: number, prefix: string): readonly string[] {
  return given ?? Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}
