/**
 * The TensorFlow.js path: ODE blocks on tf.Tensor states with ACA, adjoint and naive gradients,
 * the CNN models, the backend ladder, MNIST data and training. Separate from the package's main
 * index so that importing aca-ode does not load TensorFlow.js.
 */
export { tf, tryRequire } from './tf.ts';
export {
  BACKEND_LADDER, BackendUnavailableError, describeBackend, parseBackendChoice, releaseBackend, selectBackend,
  type BackendChoice, type SelectedBackend, type SelectOptions,
} from './backends.ts';
export { conv2dFilterGradient, conv2dInputGradient, ensureConvGradientKernels } from './conv-gradient-kernels.ts';
export { ConvField, bindField, fieldInitializers, type ConvFieldConfig, type TensorField } from './conv-field.ts';
export { groupNorm, groupsFor } from './group-norm.ts';
export { odeBlock, odeBlockPass, odeBlockInfer, forwardSpan, backwardSpan, type BlockPass } from './ode-block.ts';
export { resolveBlockOptions, type OdeBlockOptions, type ResolvedBlockOptions } from './options.ts';
export { rkStep, errorNormTensor, initialStepTensor, type TensorTuple, type TupleField } from './rk.ts';
export { integrate, integrateSteps, disposeCheckpoints, type Checkpoint, type LoopStats, type Span } from './integrate.ts';
export { read, runSync, runAsync, runReplay, type Reading } from './reads.ts';
export { acaBlock, acaBackward } from './aca.ts';
export { adjointBlock, adjointBackward, adjointBackwardSteps } from './adjoint.ts';
export { naiveBlock, naiveSteps } from './naive.ts';
export { chainedGradients, predictChained, type ChainedResult } from './chained.ts';
export { gradsWithin, valueAndGradsWithin, withOwnTape, isTaping } from './tape.ts';
export { emptyStats, resetStats, type OdeBlockStats } from './stats.ts';
export { OdeBlock, ResidualBlock, GroupNorm, type OdeBlockLayerArgs } from './layers.ts';
export { buildModel, countParams, odeBlocksOf, type CnnConfig, type ModelKind } from './models.ts';
export { mnistSplit, batchTensors, loadDigits, type DigitSet, type MnistSplit } from './mnist-data.ts';
export {
  trainClassifier, trainStep, defaultStepMode, accuracy, lossOf,
  type StepMode, type TrainOptions, type TrainReport, type EpochReport,
} from './train.ts';
export { saveModel, loadModel } from './save.ts';
export {
  runCnnExperiment,
  CNN_REPORT_FORMAT,
  type CnnExperimentOptions,
  type CnnExperimentHooks,
  type CnnRunResult,
} from './experiment.ts';
