/**
 * aca-ode: adaptive ODE solvers with accurate, fast gradients (Adaptive Checkpoint Adjoint).
 * The typed public API.
 */
export * from './errors.ts';
export type { Field, FieldSpec } from './fields/field.ts';
export { nbodyField, type NBodyOptions } from './fields/nbody.ts';
export { lotkaVolterraField, dampedRotationField, linearField } from './fields/classic.ts';
export { buildField, registerFieldKind, type FieldBuilder } from './fields/registry.ts';
export type { Tableau } from './solvers/tableau.ts';
export { TABLEAUS, METHOD_NAMES, getMethod, denseWeights, type PreparedMethod } from './solvers/methods.ts';
export type { SolveOptions, Tolerance } from './solvers/options.ts';
export type { SolveStats, StepObserver } from './solvers/integrator.ts';
export { solve, stateAt, type Solution } from './solvers/solve.ts';
