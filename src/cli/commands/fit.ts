/**
 * `aca fit SPEC --data FILE`: fit the spec's free values to the data; writes report.json and
 * fit.svg to the output folder, and a checkpoint while it runs (resumed automatically when the
 * same command is run again after an interrupt). A spec whose model has a network (a neural or
 * hybrid model) is trained as a time series instead (fit-timeseries.ts), which also writes
 * model.json and forecasts past the data's end.
 */
import { rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileCheckpointStore, fitHash } from '../../fit/checkpoint-file.ts';
import { fit as runFit, FitInterruptedError } from '../../fit/fit.ts';
import { fitCsv, fitPlot, fitReport, fitSummary } from '../../fit/report.ts';
import { makeOutputFolder, writeFileAtomic } from '../../io/atomic.ts';
import { loadProblem } from '../../spec/load.ts';
import { TIMESERIES_FILES } from '../../timeseries/job.ts';
import { EXIT_FAILURE, intOption, numberOption, parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { ProgressBar } from '../progress.ts';
import { fitTimeSeries } from './fit-timeseries.ts';

export const REPORT_FILE = 'report.json';
export const PLOT_FILE = 'fit.svg';
/** The plotted series beside the SVG: data, fit and residual per data time. */
export const PLOT_CSV_FILE = 'fit.csv';
export const CHECKPOINT_FILE = 'checkpoint.json';

export const fit: Command = {
  name: 'fit',
  summary: 'fit the spec\'s free values to data (report JSON, SVG plot, resumable); train a neural or hybrid model',
  help: `Usage: aca fit SPEC [--data FILE] [--out DIR] [options]

Fits the spec's free values (entries of \`initial\` and \`params\` given as {value, ...}) to the
data by the spec's optimizer: lm (Levenberg-Marquardt on the residuals with their exact
Jacobian; the default), lbfgs or adam (with gradients by the spec's gradient method).
Prints whether the fit converged (or NOT, with the reason) and each value with its standard
error (Gauss-Newton covariance); report.json holds the correlations as well.
Shows a progress bar (loss and iteration) on stderr. Writes to DIR:
  ${REPORT_FILE}      fitted values, loss history, residuals, stats
  ${PLOT_FILE}          the data against the fitted trajectory, residuals beneath, the loss curve,
                   and the phase plane for two series
  ${PLOT_CSV_FILE}          the plotted series: data, fit and residual per data time
  ${CHECKPOINT_FILE}  while running (every checkpointEvery iterations, and on Ctrl-C);
                   removed when the fit completes
After an interrupt, run the same command again: it resumes from the checkpoint when the
checkpoint belongs to the same spec and data, and ends where an uninterrupted fit would have.

A model with a network (model.network: a neural ODE, or equations with nn(...)[k] terms) is
trained on random subsequences of the data by the spec's \`training\` (Adam, learning-rate
schedule, early stopping on a held-out tail), without checkpoints. Writes to DIR:
  ${REPORT_FILE}      settings, losses, fitted parameters, the forecast per state to \`until\`
  ${PLOT_FILE}          data, fit and forecast per state, and the loss curve
  ${TIMESERIES_FILES.csv}          the plotted series: the model on the even grid and at the data times, the data
  ${TIMESERIES_FILES.model}       the fitted model (loadFittedModel reads it)

Options:
  --data FILE            the CSV data (default: the spec's \`data\`)
  --time-column NAME     the data's time column (default: the spec's data.time, else t or time)
  --out DIR              output folder (default: SPECNAME-fit)
  --iterations N         in place of the spec's optimizer.iterations (a network's training:
                         its total iterations, shared by the phases in proportion)
  --checkpoint-every N   in place of the spec's optimizer.checkpointEvery
  --resume               require a checkpoint to resume from
  --restart              ignore an existing checkpoint and start over
  --until T              a network's forecast to time T (default: the spec's forecast.until,
                         else the data's end)
  -w, --workers N        a network's mini-batches on N worker threads (default 1: this thread)
  -q, --quiet            no progress bar
  -h, --help             this help

Exit codes: 0 ok, 1 failure while running (solver error, interrupt), 2 bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      'fit',
      argv,
      {
        data: { type: 'string' },
        'time-column': { type: 'string' },
        out: { type: 'string', short: 'o' },
        iterations: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        resume: { type: 'boolean' },
        restart: { type: 'boolean' },
        until: { type: 'string' },
        workers: { type: 'string', short: 'w' },
        quiet: { type: 'boolean', short: 'q' },
      },
      ['SPEC'],
    );
    if (values.help) {
      io.stdout.write(fit.help + '\n');
      return 0;
    }
    if (values.resume && values.restart) throw new UsageError('aca fit: --resume and --restart exclude each other');
    const iterations = intOption('fit', 'iterations', values.iterations);
    const every = intOption('fit', 'checkpoint-every', values['checkpoint-every']);
    const workers = intOption('fit', 'workers', values.workers);
    const until = numberOption('fit', 'until', values.until);
    const specFile = positionals[0];
    const { spec, problem, data, dataFile } = await loadProblem(specFile, {
      data: values.data as string | undefined,
      time: values['time-column'] as string | undefined,
    });
    if (!data && !problem.eventLoss) throw new UsageError('aca fit: no data (give --data FILE or `data:` in the spec, or observed event times)');
    const out = (values.out as string | undefined) ?? `${basename(specFile, extname(specFile))}-fit`;
    if (problem.network) {
      const checkpointing = ['resume', 'restart', 'checkpoint-every'].find((name) => values[name] !== undefined);
      if (checkpointing) throw new UsageError(`aca fit: --${checkpointing} is for equation models (a network's training keeps no checkpoint)`);
      return fitTimeSeries({ problem, out, io, iterations, workers, until, quiet: Boolean(values.quiet) });
    }
    const networkOnly = ['workers', 'until'].find((name) => values[name] !== undefined);
    if (networkOnly) throw new UsageError(`aca fit: --${networkOnly} is for a model with a network (model.network)`);
    if (problem.free.length === 0) {
      throw new UsageError('aca fit: nothing to fit (write a value in `params` or `initial` as {value: ..., bounds: [...]})');
    }
    await makeOutputFolder(out);
    const checkpointFile = join(out, CHECKPOINT_FILE);
    const hash = fitHash(spec, data);

    const total = iterations ?? problem.optimizer.iterations;
    const bar = values.quiet ? undefined : new ProgressBar({ label: 'fit', total, stream: io.stderr });
    const controller = new AbortController();
    const onInterrupt = () => {
      if (controller.signal.aborted) process.exit(EXIT_FAILURE); // a second Ctrl-C: stop now
      controller.abort();
    };
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    let result;
    try {
      result = await runFit(problem, {
        iterations,
        signal: controller.signal,
        checkpoint: { file: checkpointFile, store: fileCheckpointStore, hash, every, resume: values.resume ? 'require' : values.restart ? 'never' : 'auto' },
        onProgress: (p) => bar?.update(p.iteration, { loss: p.loss }),
        log: (message) => io.stderr.write(`aca fit: ${message}\n`),
      });
    } catch (error) {
      if (error instanceof FitInterruptedError) {
        if (bar) io.stderr.write('\n');
        io.stderr.write(`aca fit: ${error.message}\naca fit: to resume, run the same command again\n`);
        return EXIT_FAILURE;
      }
      throw error;
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    }
    bar?.done(result.iterations, { loss: result.loss });

    const reportFile = join(out, REPORT_FILE);
    const plotFile = join(out, PLOT_FILE);
    const report = fitReport(problem, result, { specFile, dataFile, hash, plotFile: PLOT_FILE });
    // The values first: a fit that took an hour is never lost to an output folder that cannot
    // be written. Then the report (the result: its failure fails the command), then the pictures
    // and their data (a failure there is a warning).
    io.stdout.write(fitSummary(result).join('\n') + '\n');
    await writeFileAtomic(reportFile, JSON.stringify(report, null, 2) + '\n');
    io.stdout.write(`report: ${reportFile}\n`);
    await rm(checkpointFile, { force: true }).catch(() => undefined);
    try {
      await writeFileAtomic(plotFile, fitPlot(problem, result));
      await writeFileAtomic(join(out, PLOT_CSV_FILE), fitCsv(problem, result));
      io.stdout.write(`plot:   ${plotFile}\n`);
    } catch (error) {
      io.stderr.write(`aca fit: warning: no plot: ${(error as Error).message}\n`);
    }
    return 0;
  },
};

