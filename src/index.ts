/**
 * aca-ode: adaptive ODE solvers with accurate, fast gradients (Adaptive Checkpoint Adjoint).
 * The typed public API.
 */
export * from './errors.ts';
export type { Field, FieldSpec } from './fields/field.ts';
export { nbodyField, type NBodyOptions } from './fields/nbody.ts';
export { lotkaVolterraField, dampedRotationField, linearField } from './fields/classic.ts';
export {
  createMlp,
  mlpField,
  ACTIVATIONS,
  INPUT_TRANSFORMS,
  type Activation,
  type InputTransform,
  type Mlp,
  type MlpOptions,
  type MlpLayerLayout,
  type MlpField,
  type MlpFieldOptions,
} from './fields/mlp.ts';
export { createRng, rngFromState, type Rng } from './util/random.ts';
export { buildField, registerFieldKind, type FieldBuilder } from './fields/registry.ts';
export { expressionField, type ExpressionField } from './fields/expression/compile.ts';
export type { ExpressionModel } from './fields/expression/parse.ts';
export { nbodyModel, type NBodyModelOptions } from './fields/expression/nbody.ts';
export { ModelError } from './fields/expression/errors.ts';
export type { Tableau } from './solvers/tableau.ts';
export { TABLEAUS, METHOD_NAMES, IMPLICIT_METHOD_NAMES, getMethod, denseWeights, type PreparedMethod } from './solvers/methods.ts';
export type { SolveOptions, Tolerance } from './solvers/options.ts';
export type { SolveStats, StepObserver, StepRecord } from './solvers/integrator.ts';
export { solve, stateAt, type Solution } from './solvers/solve.ts';
export { gradient, gradientMethod, checkGradientSettings } from './gradients/gradient.ts';
export type { GradientMethod, GradientPass, BackwardStats, ForwardProblem } from './gradients/method.ts';
export {
  GRADIENT_METHODS,
  DEFAULT_GRADIENT,
  type GradientMethodName,
  type GradientSettings,
  type AcaSettings,
  type AdjointSettings,
  type NaiveSettings,
} from './gradients/settings.ts';
export type { GradientOptions, GradientResult, GradientStats } from './gradients/types.ts';
export { fieldDerivatives, type FieldDerivatives } from './fields/derivatives.ts';
export { squaredError, type Loss, type SquaredErrorOptions } from './losses/loss.ts';
export {
  buildLoss,
  registerLossKind,
  LOSS_KINDS,
  type LossSpec,
  type LossContext,
  type LossBuilder,
  type JsonSeries,
  type SquaredErrorSpec,
  type SumSquaresSpec,
} from './losses/registry.ts';
export {
  batchGradient,
  batchSolve,
  cutShards,
  DEFAULT_SHARD_SIZE,
  type BatchJob,
  type BatchTrajectory,
  type BatchSolverOptions,
  type BatchOptions,
  type BatchStats,
  type BatchGradientResult,
  type BatchSolveResult,
  type TestFault,
} from './parallel/batch.ts';
export { warmPool, closePool, defaultWorkers, resolveWorkers, type PoolOptions } from './parallel/pool.ts';
export { runBatchFile, type BatchRunsOptions, type BatchRunsSummary, type BatchRunsProgress, type RunLine } from './parallel/batch-runs.ts';
export { registerRunKind, type RunSpec, type RunRunner } from './parallel/run-spec.ts';
export { ShardFailedError, WorkerFaultError, InterruptedError } from './parallel/errors.ts';
export { SpecError, type SpecIssue } from './spec/errors.ts';
export { parseSpec, parseSpecText, loadSpec, loadProblem, type LoadedProblem, type LoadOptions } from './spec/load.ts';
export {
  buildProblem,
  dataColumns,
  observeSeries,
  type Problem,
  type Series,
  type SolverSettings,
  type OptimizerSettings,
  type NetworkProblem,
} from './spec/problem.ts';
export {
  SpecSchema,
  type Spec,
  type ModelSpec,
  type ValueSpec,
  type OptimizerSpec,
  type NetworkSpec,
  type TrainingSpec,
  type PhaseSpec,
  type ForecastSpec,
} from './spec/schema.ts';
export { trainingPlan, problemSeries, type TrainingPlan, type PlanOverrides, type PhaseOptions } from './spec/training.ts';
export type { FreeValue } from './spec/values.ts';
export { parseCsv, CsvError, type DataTable, type CsvProblem, type ParseCsvOptions } from './io/csv.ts';
export { formatCsv, trajectoryCsv } from './io/csv-write.ts';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic.ts';
export { Adam, type AdamOptions, type AdamState } from './fit/adam.ts';
export { LBFGS, type LBFGSOptions, type LBFGSState, type LBFGSStep, type Objective, type ObjectiveValue } from './fit/lbfgs.ts';
export {
  fit,
  FitInterruptedError,
  type FitOptions,
  type FitResult,
  type FitProgress,
  type FitObjective,
  type FitEvaluation,
  type FittedEntry,
  type CheckpointOptions,
  type StopReason,
} from './fit/fit.ts';
export { fitHash, readCheckpoint, CheckpointError, type FitCheckpoint } from './fit/checkpoint.ts';
export { evaluateProblem, initialTheta, valuesAt } from './fit/objective.ts';
export { fitReport, fitPlot } from './fit/report.ts';
export { linePlot, panelGrid, PALETTE, type PlotOptions, type PlotSeries, type GridOptions, type SeriesStyle, type Scale } from './plot/svg.ts';
export { ProgressBar, type ProgressOptions } from './cli/progress.ts';
export { hybridField, type HybridField, type HybridOptions, type HybridNetworkOptions } from './fields/hybrid.ts';
export {
  createTimeSeries,
  sliceSeries,
  holdoutStart,
  seriesMse,
  observedCells,
  type TimeSeries,
  type TimeSeriesInput,
} from './timeseries/series.ts';
export {
  sampleSubsequences,
  candidateStarts,
  subsequenceProblem,
  type StartFrom,
  type Subsequence,
  type SubsequenceProblem,
} from './timeseries/minibatch.ts';
export { learningRate, type LrSchedule } from './timeseries/schedule.ts';
export {
  evaluateInline,
  type BatchEvaluator,
  type BatchEvaluation,
  type SubsequenceBatch,
  type TrainSolverOptions,
} from './timeseries/evaluate.ts';
export { poolEvaluator, type PoolEvaluatorOptions } from './timeseries/pool-evaluator.ts';
export {
  trainTimeSeries,
  trainInPhases,
  autonomousField,
  type TrainOptions,
  type TrainResult,
  type TrainSettings,
  type IterationRecord,
  type ValidationRecord,
  type TrainStopReason,
} from './timeseries/train.ts';
export {
  saveFittedModel,
  loadFittedModel,
  parseFittedModel,
  fittedModelJson,
  FittedModelError,
  FITTED_MODEL_FORMAT,
  type FittedModel,
  type FittedModelFile,
} from './timeseries/model-io.ts';
export { forecast, forecastReport, type Forecast, type ForecastOptions } from './timeseries/forecast.ts';
export { forecastPlot, type ForecastPlotOptions } from './timeseries/plot.ts';
export { spiralField, spiralSeries, type SpiralProblem } from './timeseries/spiral.ts';
export { runTimeSeriesJob, TIMESERIES_FILES, type TimeSeriesJob, type TimeSeriesJobResult } from './timeseries/job.ts';
