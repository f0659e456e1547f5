/**
 * The gradient of one mini-batch: the batch loss (the mean squared error over the batch's
 * observed cells) and its gradient with respect to the parameters, summed over the
 * subsequences. The training loop calls a BatchEvaluator, so that where the work runs is
 * swappable: `evaluateInline` on the calling thread, `poolEvaluator` (pool-evaluator.ts) on the
 * worker pool.
 *
 * Loss of a batch of subsequences b with observed cells c (start rows excluded):
 *   L = (1 / N) sum_b sum_{c in b} (y_b(t_c)_i - obs_c)^2,   N = number of cells in the batch,
 * i.e. squaredError with every cell weighted 1 / N, so the per-subsequence losses simply add.
 */
import { AcaError, InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { gradient } from '../gradients/gradient.ts';
import type { GradientSettings } from '../gradients/settings.ts';
import type { GradientResult } from '../gradients/types.ts';
import { squaredError } from '../losses/loss.ts';
import type { SolveOptions } from '../solvers/options.ts';
import type { SubsequenceProblem } from './minibatch.ts';

/** Solver settings of the training solves (the times and parameters come from the batch). */
export type TrainSolverOptions = Omit<SolveOptions, 'times' | 'params' | 't0' | 't1'>;

export interface SubsequenceBatch {
  readonly field: Field;
  readonly params: Float64Array;
  readonly problems: readonly SubsequenceProblem[];
  /** State index of each observed column (as in the series). */
  readonly observed: readonly number[];
  /** Weight of every observed cell: 1 / (the batch's observed cells). */
  readonly cellWeight: number;
  readonly gradient: GradientSettings;
  readonly solver: TrainSolverOptions;
}

export interface BatchEvaluation {
  /** The batch loss and its gradient dL/dp (length P). */
  readonly loss: number;
  readonly dp: Float64Array;
  /** Work done, summed over the subsequences. */
  readonly fEvals: number;
  readonly vjpEvals: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Subsequences left out because their solve failed (evaluateInline only; 0 or absent otherwise). */
  readonly failed?: number;
}

export type BatchEvaluator = (batch: SubsequenceBatch) => BatchEvaluation | Promise<BatchEvaluation>;

/**
 * The batch on the calling thread, subsequence by subsequence in order. A subsequence whose solve
 * fails with a library error (non-finite values, step-size underflow, too many steps: an
 * untrained model that blows up from that start) is left out of the sums and counted in
 * `failed`; when every one fails, the last error is thrown (and the training loop skips the
 * batch). The pool evaluator cannot leave one out: there a failure fails the whole batch.
 */
export function evaluateInline(batch: SubsequenceBatch): BatchEvaluation {
  const { field, params, problems, observed } = batch;
  const weights = new Float64Array(observed.length).fill(batch.cellWeight);
  const dp = new Float64Array(field.nParams);
  let loss = 0;
  let fEvals = 0;
  let vjpEvals = 0;
  let accepted = 0;
  let rejected = 0;
  let failed = 0;
  let lastError: unknown = null;
  for (const problem of problems) {
    let r: GradientResult;
    try {
      r = gradient(field, problem.y0, {
        ...batch.solver,
        times: problem.times,
        params,
        gradient: batch.gradient,
        loss: squaredError(field.dim, { target: problem.target, observed, weights }),
      });
    } catch (error) {
      // A solve that fails (the model blows up from this start) leaves the subsequence out;
      // bad input is not a solve failure and is thrown at once.
      if (!(error instanceof AcaError) || error instanceof InvalidArgumentError) throw error;
      failed++;
      lastError = error;
      continue;
    }
    loss += r.loss;
    for (let j = 0; j < dp.length; j++) dp[j] += r.dp[j];
    fEvals += r.stats.fEvals;
    vjpEvals += r.stats.vjpEvals;
    accepted += r.stats.accepted;
    rejected += r.stats.rejected;
  }
  if (failed === problems.length) throw lastError;
  return { loss, dp, fEvals, vjpEvals, accepted, rejected, failed };
}
