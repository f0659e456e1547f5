/**
 * aca-ode: adaptive ODE solvers with accurate, fast gradients (Adaptive Checkpoint Adjoint).
 * The main entry: solvers, gradients, fields, losses, specs parsed from text, fit, time series.
 * Nothing in its import graph touches a node: module (a test bundles it for the browser), so the
 * file system, the worker pool and batches are in aca-ode/node, and TensorFlow.js in
 * aca-ode/tensor.
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
export { useMathJs, type MathJs } from './fields/expression/mathjs.ts';
export type { ExpressionModel } from './fields/expression/parse.ts';
export { nbodyModel, type NBodyModelOptions } from './fields/expression/nbody.ts';
export { ModelError } from './fields/expression/errors.ts';
export type { Tableau } from './solvers/tableau.ts';
export { TABLEAUS, METHOD_NAMES, IMPLICIT_METHOD_NAMES, getMethod, denseWeights, type PreparedMethod } from './solvers/methods.ts';
export type { SolveOptions, Tolerance } from './solvers/options.ts';
export type { SolveStats, StepObserver, StepRecord } from './solvers/integrator.ts';
export { solve, stateAt, type Solution, type SolutionStats } from './solvers/solve.ts';
export { EventGradientError, type EventSpec, type EventRecord, type EventDirection } from './solvers/events.ts';
export type { SaveAt } from './solvers/options.ts';
export type { EventLoss } from './gradients/event-adjoint.ts';
export { controllerPow } from './solvers/pow.ts';
export { wasmUnsupported, BACKENDS, type Backend, type BackendChoice } from './wasm/backend.ts';
export type { WasmFieldSource } from './wasm/field-source.ts';
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
export type { GradientAccuracy, GradientDiagnostics } from './gradients/types.ts';
export { DEFAULT_TOLERANCE_FACTOR, DEFAULT_MAX_REFINEMENTS } from './gradients/gradient.ts';
export { DEFAULT_MAX_DRIFT } from './gradients/adjoint.ts';
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
export { SpecError, type SpecIssue } from './spec/errors.ts';
export { parseSpec, parseSpecText } from './spec/parse.ts';
export { parseCsv, CsvError, type DataTable, type CsvProblem, type ParseCsvOptions } from './io/csv.ts';
export { formatCsv, trajectoryCsv } from './io/csv-write.ts';
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
export { trainingPlan, problemSeries, type TrainingPlan, type PlanOverrides, type PhaseOptions } from './timeseries/plan.ts';
export type { FreeValue } from './spec/values.ts';
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
  type FitUncertainty,
  type FitResiduals,
  type FitResidualObjective,
} from './fit/fit.ts';
export {
  CheckpointError,
  parseCheckpoint,
  CHECKPOINT_FORMAT,
  type FitCheckpoint,
  type CheckpointStore,
} from './fit/checkpoint.ts';
export { evaluateProblem, evaluateResiduals, initialTheta, valuesAt, type ResidualEvaluation } from './fit/objective.ts';
export {
  LevenbergMarquardt,
  certificate,
  covariance,
  LM_DEFAULTS,
  type Certificate,
  type Covariance,
  type LeastSquaresOptions,
  type LMState,
  type ResidualValue,
} from './fit/least-squares.ts';
export { forwardSensitivities, type SensitivitySeed, type SensitivityResult } from './gradients/sensitivities.ts';
export { heliocentricField, heliocentricModel, toHeliocentric } from './three-body/heliocentric.ts';
export { fitObservations, fittedPositions, type LeastSquaresFitOptions, type LeastSquaresFitResult } from './three-body/least-squares.ts';
export { fitReport, fitPlot, fitCsv, fitSummary } from './fit/report.ts';
export { linePlot, panelGrid, PALETTE, type PlotOptions, type PlotSeries, type GridOptions, type SeriesStyle, type Scale } from './plot/svg.ts';
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
