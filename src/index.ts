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
export type { Tableau } from './solvers/tableau.ts';
export { TABLEAUS, METHOD_NAMES, getMethod, denseWeights, type PreparedMethod } from './solvers/methods.ts';
export type { SolveOptions, Tolerance } from './solvers/options.ts';
export type { SolveStats, StepObserver } from './solvers/integrator.ts';
export { solve, stateAt, type Solution } from './solvers/solve.ts';
export { gradient } from './gradients/gradient.ts';
export { acaGradient } from './gradients/aca.ts';
export { adjointGradient } from './gradients/adjoint.ts';
export { naiveGradient } from './gradients/naive.ts';
export {
  GRADIENT_METHODS,
  type GradientMethodName,
  type GradientOptions,
  type GradientResult,
  type GradientStats,
} from './gradients/types.ts';
export { squaredError, type Loss, type SquaredErrorOptions } from './losses/loss.ts';
