/**
 * `aca fit` for a spec whose model has a network (a neural or hybrid model): mini-batch training
 * on the data as a time series (timeseries/plan.ts, timeseries/job.ts), then the forecast to
 * `until`. Writes report.json, fit.svg and model.json to the output folder; keeps no checkpoint
 * (Ctrl-C stops after the current iteration and still writes the files, with the best
 * parameters so far, then exits with 1).
 */
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { closePool } from '../../parallel/pool.ts';
import type { Problem } from '../../spec/problem.ts';
import { trainingPlan } from '../../timeseries/plan.ts';
import { evaluateInline, type BatchEvaluator } from '../../timeseries/evaluate.ts';
import { runTimeSeriesJob, TIMESERIES_FILES } from '../../timeseries/job.ts';
import { poolEvaluator } from '../../timeseries/pool-evaluator.ts';
import { EXIT_FAILURE, UsageError } from '../args.ts';
import type { CliIO } from '../io.ts';
import { ProgressBar } from '../progress.ts';

export interface TimeSeriesFitOptions {
  readonly problem: Problem;
  readonly out: string;
  readonly io: CliIO;
  /** Total iterations in place of the spec's (shared by the phases). */
  readonly iterations?: number;
  /** Worker threads for the mini-batches (default 1: this thread). */
  readonly workers?: number;
  /** End of the forecast in place of the spec's `forecast.until`. */
  readonly until?: number;
  readonly quiet?: boolean;
}

export async function fitTimeSeries(options: TimeSeriesFitOptions): Promise<number> {
  const { problem, io, out } = options;
  const network = problem.network!;
  const plan = trainingPlan(problem, { iterations: options.iterations, until: options.until });
  const times = plan.train.series.times;
  const dataEnd = times[times.length - 1];
  if (options.until !== undefined && options.until < dataEnd) {
    throw new UsageError(`aca fit: --until ${options.until} is before the data's end ${dataEnd} (the forecast runs past it)`);
  }
  const workers = options.workers ?? 1;
  const total = plan.iterations.reduce((s, n) => s + n, 0);
  const bar = options.quiet ? undefined : new ProgressBar({ label: 'fit', total, stream: io.stderr });
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(EXIT_FAILURE); // a second Ctrl-C: stop now
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  // Iterations count on across phases (each phase's own count starts at 1).
  let done = 0;
  let lastLoss = NaN;
  let job;
  try {
    job = await runTimeSeriesJob({
      name: problem.name,
      train: {
        ...plan.train,
        evaluateBatch: workers > 1 ? poolEvaluator({ workers }) : yieldingInline,
        onIteration: (r) => {
          done++;
          if (Number.isFinite(r.loss)) lastLoss = r.loss;
          bar?.update(done, { loss: r.loss });
        },
        signal: controller.signal,
      },
      phases: plan.phases,
      until: plan.until,
      points: plan.points,
      outDir: out,
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    if (workers > 1) await closePool();
  }
  const { result, forecast } = job;
  bar?.done(done, { loss: lastLoss });

  const fitted = problem.free.map((free) => ({ path: free.path, start: free.value, value: result.params[free.index] }));
  const width = Math.max(0, ...fitted.map((v) => v.path.length));
  const kind = network.kind === 'neural' ? 'neural ODE' : 'hybrid model';
  const validation = Number.isFinite(result.validationLoss)
    ? `; best validation MSE ${result.validationLoss.toExponential(4)} at iteration ${result.bestIteration}`
    : '';
  const lines = [
    `trained ${kind}: ${network.networkParams} network weights and ${fitted.length} model parameters in ${result.iterations} iterations (${result.reason})${validation}`,
    ...fitted.map((v) => `  ${v.path.padEnd(width)}  ${formatValue(v.value)}  (from ${v.start})`),
    `MSE on the data ${forecast.mseOnData.toExponential(4)}; forecast to t = ${forecast.until}`,
    `report: ${join(out, TIMESERIES_FILES.report)}`,
    `plot:   ${join(out, TIMESERIES_FILES.plot)}`,
    `model:  ${join(out, TIMESERIES_FILES.model)}`,
  ];
  io.stdout.write(lines.join('\n') + '\n');
  if (result.reason === 'interrupted') {
    io.stderr.write(`aca fit: training interrupted after ${result.iterations} iterations; the files hold the best parameters so far\n`);
    return EXIT_FAILURE;
  }
  return 0;
}

/**
 * evaluateInline after a turn of the event loop: the training loop itself never yields, so
 * without this a Ctrl-C (the SIGINT handler's abort) would only be seen after the last iteration.
 */
const yieldingInline: BatchEvaluator = async (batch) => {
  await nextTurn();
  return evaluateInline(batch);
};

function formatValue(v: number): string {
  return Number(v.toPrecision(8)).toString().padStart(12);
}
