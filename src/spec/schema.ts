/**
 * The problem spec: what a spec file (YAML or JSON) may contain, as a zod schema, and the types it
 * produces. Everything here is checked without knowing the model; checks that need the model
 * (names of states and parameters, equations) are in problem.ts. Issues are turned into
 * `path: cause` lines by issues.ts.
 *
 * A spec, e.g. Lotka-Volterra with its four parameters fitted:
 *
 *   model:
 *     states: [x, y]
 *     params: [a, b, c, d]
 *     equations: { x: a*x - b*x*y, y: -c*y + d*x*y }
 *   initial: { x: 1, y: 1 }
 *   params:
 *     a: { value: 1.2, bounds: [0, 10] }    # an object: fitted unless `fit: false`
 *     b: 1                                    # a number: fixed
 *   t0: 0
 *   data: lotka_volterra.csv                  # relative to the spec file
 *   solver: { method: dopri5, rtol: 1e-8, atol: 1e-10 }
 *   gradient: { method: aca }
 *   loss: { weights: { x: 1, y: 1 } }
 *   optimizer: { method: lbfgs, iterations: 100 }
 *
 * A model with a dense network (a neural ODE, or an equation model with a term nn(x, y)[1]) is
 * trained on its time series by mini-batches instead (`training`, `forecast`):
 *
 *   model:
 *     states: [x, y]
 *     network: { sizes: [2, 50, 2], activation: tanh, inputTransform: cube, seed: 0 }
 *   initial: { x: 2, y: 0 }                   # the state at the first data time
 *   data: spiral.csv
 *   training: { iterations: 1000, batchSize: 20, batchLength: 10, lr: 0.03, schedule: { kind: cosine } }
 *   forecast: { until: 30 }
 *
 * Unknown keys are errors (a misspelt `rtoll` would otherwise be silently ignored).
 */
import { z } from 'zod';
import { describeValue } from '../errors.ts';
import { didYouMean } from '../fields/expression/suggest.ts';
import { ACTIVATIONS, INPUT_TRANSFORMS } from '../fields/mlp.ts';
import { GRADIENT_METHODS, type GradientMethodName } from '../gradients/settings.ts';
import { METHOD_NAMES } from '../solvers/methods.ts';
import { MIN_RTOL } from '../solvers/options.ts';
import { MAX_BODIES, MAX_LAYER_SIZE, MAX_NETWORK_WEIGHTS, MAX_STATES, MAX_TIMES } from '../limits.ts';

// ---------------------------------------------------------------------------------------------
// Helpers: strict objects whose unknown-key message lists what is allowed, and a choice between
// schemas by the input's shape (so errors come from the form the author meant, not a union dump).

/** An object that rejects unknown keys with `unknown key 'rtoll' (did you mean 'rtol'?)`. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => `unknown key '${key}'${didYouMean(key, allowed) || ` (allowed: ${allowed.join(', ')})`}`)
        .join('\n');
    },
  });
}

/**
 * Validates with the schema `pick` chooses for the value, or fails with the message it returns.
 * The chosen schema's issues are reported as they are, relative to this value.
 */
function choose<T>(pick: (value: unknown) => z.ZodType<T> | { message: string; path?: PropertyKey[] }) {
  return z.unknown().transform((value, ctx): T => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'missing (required)', input: value });
      return z.NEVER;
    }
    const schema = pick(value);
    if (!(schema instanceof z.ZodType)) {
      ctx.addIssue({ code: 'custom', message: schema.message, path: schema.path ?? [], input: value });
      return z.NEVER;
    }
    const result = schema.safeParse(value, { reportInput: true });
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue(issue as never);
      return z.NEVER;
    }
    return result.data;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as quoted in messages: strings in single quotes, the rest as JSON. */
export function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : describeValue(value);
}

// ---------------------------------------------------------------------------------------------
// Values: initial states and parameters, fixed (a number) or fitted (an object).

// zod 4's number() refuses Infinity and NaN: every number of a spec is finite.
const finite = z.number();

/** A list of state names, at most MAX_STATES of them. */
const stateList = () =>
  z.array(z.string()).min(1).max(MAX_STATES, { error: `more than the limit of ${MAX_STATES} states` });

export const TRANSFORMS = ['none', 'log'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/**
 * A fitted value: `value` is the starting point; `fit: false` holds it fixed; `bounds` is
 * [lower, upper] with null for no bound; `transform: log` fits log(value) (positive values whose
 * scale is unknown; the lower bound is then 0 unless given).
 */
const FittedValueSchema = strict({
  value: finite,
  fit: z.boolean().optional(),
  bounds: choose<[number | null, number | null]>((value) =>
    Array.isArray(value) && value.length === 2
      ? z.tuple([finite.nullable(), finite.nullable()])
      : { message: `expected [lower, upper] (numbers, null for none), got ${show(value)}` },
  ).optional(),
  transform: z.enum(TRANSFORMS).optional(),
}).superRefine((entry, ctx) => {
  // Under a log transform the value stays positive: no lower bound means 0.
  const lower = entry.bounds?.[0] ?? (entry.transform === 'log' ? 0 : -Infinity);
  const upper = entry.bounds?.[1] ?? Infinity;
  if (entry.transform === 'log' && !(entry.value > 0 && lower >= 0)) {
    const what = entry.value > 0 ? `a lower bound of ${lower}` : `the value ${entry.value}`;
    ctx.addIssue({
      code: 'custom',
      path: ['transform'],
      message: `'log' needs a positive value and a lower bound >= 0, got ${what}`,
      input: entry.transform,
    });
  } else if (lower > upper) {
    ctx.addIssue({ code: 'custom', path: ['bounds'], message: `lower ${lower} > upper ${upper}`, input: entry.bounds });
  } else if (entry.value < lower || entry.value > upper) {
    ctx.addIssue({
      code: 'custom',
      path: ['value'],
      message: `${entry.value} is outside the bounds [${lower}, ${upper}]`,
      input: entry.value,
    });
  }
});

export type FittedValue = z.output<typeof FittedValueSchema>;
export type ValueSpec = number | FittedValue;

const ValueSchema = choose<ValueSpec>((value) =>
  isObject(value)
    ? FittedValueSchema
    : typeof value === 'number'
      ? finite
      : { message: `expected a number or an object {value, fit, bounds}, got ${show(value)}` },
);

/** Values by name (`{x: 1, y: {value: 2}}`) or in order (`[1, {value: 2}]`). */
const ValuesSchema = choose<ValueSpec[] | Record<string, ValueSpec>>((value) =>
  Array.isArray(value)
    ? z.array(ValueSchema)
    : isObject(value)
      ? z.record(z.string(), ValueSchema)
      : { message: `expected a map name: value or a list of values, got ${show(value)}` },
);
export type ValuesSpec = z.output<typeof ValuesSchema>;

// ---------------------------------------------------------------------------------------------
// Models: an equation model (checked in detail by the expression compiler), a built-in one, or
// one with a dense network: alone (a neural ODE) or as a term nn(...)[k] of the equations (a
// hybrid model).

const ExpressionSchema = z.union([z.string(), finite]);

/**
 * A dense network (fields/mlp.ts): `sizes` [inputs, hidden..., outputs]; the hidden layers'
 * activation (default tanh; the output layer has none); an elementwise transform of the inputs
 * (default identity; 'cube' is y -> y^3); t as a last input (a neural model only); the seed of
 * the Glorot-uniform initialisation (default 0).
 */
const NetworkSchema = strict({
  sizes: z
    .array(z.number().int().min(1).max(MAX_LAYER_SIZE))
    .min(2)
    .max(100)
    .superRefine((sizes, ctx) => {
      let weights = 0;
      for (let l = 1; l < sizes.length; l++) weights += (sizes[l - 1] + 1) * sizes[l];
      if (weights > MAX_NETWORK_WEIGHTS) {
        ctx.addIssue({ code: 'custom', message: `${weights} weights, more than the limit of ${MAX_NETWORK_WEIGHTS}`, input: sizes });
      }
    }),
  activation: z.enum(ACTIVATIONS).optional(),
  inputTransform: z.enum(INPUT_TRANSFORMS).optional(),
  timeInput: z.boolean().optional(),
  seed: z.number().int().optional(),
});
export type NetworkSpec = z.output<typeof NetworkSchema>;

const EquationModelSchema = strict({
  states: stateList(),
  /** Parameter names in the order of p; default: the keys of the spec's `params` map. */
  params: z.array(z.string()).optional(),
  constants: z.record(z.string(), finite).optional(),
  definitions: z.record(z.string(), ExpressionSchema).optional(),
  equations: z.record(z.string(), ExpressionSchema),
  /** The network that the equations call as nn(args)[k] (a hybrid model). */
  network: NetworkSchema.optional(),
}).superRefine((model, ctx) => {
  if (model.network?.timeInput !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['network', 'timeInput'],
      message: 'only for a neural model (in a hybrid model, give t as an argument: nn(x, y, t)[1])',
      input: model.network.timeInput,
    });
  }
});
export type EquationModelSpec = z.output<typeof EquationModelSchema>;

/** A neural ODE: dy/dt = nn(y) (or nn(y, t) with timeInput), one output per state. */
const NeuralModelSchema = strict({
  states: stateList(),
  network: NetworkSchema,
}).superRefine((model, ctx) => {
  const dim = model.states.length;
  const inputs = model.network.timeInput ? dim + 1 : dim;
  const sizes = model.network.sizes;
  if (sizes[0] !== inputs || sizes[sizes.length - 1] !== dim) {
    const why = model.network.timeInput ? 'the states and t in, one output per state' : 'one input and one output per state';
    ctx.addIssue({
      code: 'custom',
      path: ['network', 'sizes'],
      message: `[${sizes.join(', ')}] does not match the ${dim} states (${model.states.join(', ')}): expected [${inputs}, ..., ${dim}] (${why})`,
      input: sizes,
    });
  }
});
export type NeuralModelSpec = z.output<typeof NeuralModelSchema>;

const NBodyModelSchema = strict({
  builtin: z.literal('nbody'),
  bodies: z.number().int().min(2).max(MAX_BODIES),
  dims: z.union([z.literal(2), z.literal(3)]).optional(),
  G: finite.optional(),
  velocityScale: finite.optional(),
  /** 'native' (default): the hand-written field; 'expression': the same system compiled. */
  implementation: z.enum(['native', 'expression']).optional(),
});
export type NBodyModelSpec = z.output<typeof NBodyModelSchema>;

const LotkaVolterraModelSchema = strict({ builtin: z.literal('lotka_volterra') });
export type LotkaVolterraModelSpec = z.output<typeof LotkaVolterraModelSchema>;

export const BUILTIN_MODELS = ['nbody', 'lotka_volterra'] as const;

const ModelSchema = choose<EquationModelSpec | NeuralModelSpec | NBodyModelSpec | LotkaVolterraModelSpec>((value) => {
  if (!isObject(value)) {
    return { message: `expected an equation model {states, params, equations}, a neural model {states, network} or {builtin: ...}, got ${show(value)}` };
  }
  if (!('builtin' in value)) return 'network' in value && !('equations' in value) ? NeuralModelSchema : EquationModelSchema;
  switch (value.builtin) {
    case 'nbody':
      return NBodyModelSchema;
    case 'lotka_volterra':
      return LotkaVolterraModelSchema;
    default: {
      const hint = typeof value.builtin === 'string' ? didYouMean(value.builtin, BUILTIN_MODELS) : '';
      return {
        path: ['builtin'],
        message: `unknown built-in model ${show(value.builtin)}${hint || ` (one of ${BUILTIN_MODELS.join(', ')})`}`,
      };
    }
  }
});
export type ModelSpec = z.output<typeof ModelSchema>;

// ---------------------------------------------------------------------------------------------
// Times, solver, gradient, loss, optimizer.

const LinspaceSchema = strict({ start: finite, stop: finite, count: z.number().int().min(2).max(MAX_TIMES) });

const TimesSchema = choose<number[] | z.output<typeof LinspaceSchema>>((value) =>
  Array.isArray(value)
    ? z.array(finite).min(1).max(MAX_TIMES)
    : isObject(value)
      ? LinspaceSchema
      : { message: `expected a list of times or {start, stop, count}, got ${show(value)}` },
);
export type TimesSpec = z.output<typeof TimesSchema>;

/** rtol at or above the solver's floor; atol positive (solvers/options.ts checks the same). */
const toleranceSchema = (min: number, inclusive: boolean) => {
  const one = inclusive ? z.number().min(min) : z.number().gt(min);
  return choose<number | number[]>((value) => (Array.isArray(value) ? z.array(one) : one));
};

const MethodNameSchema = z.string().superRefine((name, ctx) => {
  if (!METHOD_NAMES.includes(name)) {
    const hint = didYouMean(name, METHOD_NAMES) || ` (one of ${METHOD_NAMES.join(', ')})`;
    ctx.addIssue({ code: 'custom', message: `unknown method '${name}'${hint}`, input: name });
  }
});

const SolverSchema = strict({
  method: MethodNameSchema.optional(),
  rtol: toleranceSchema(MIN_RTOL, true).optional(),
  atol: toleranceSchema(0, false).optional(),
  maxSteps: z.number().int().min(1).optional(),
  dt: z.number().positive().optional(),
  firstStep: z.number().positive().optional(),
  maxStep: z.number().positive().optional(),
  controller: z.enum(['integral', 'pi']).optional(),
  stiffnessCheck: z.boolean().optional(),
  newtonTol: z.number().positive().optional(),
  /** Points per step at which events are sampled for sign changes (default 4; docs/events.md). */
  eventSamples: z.number().int().min(1).optional(),
  /** 'auto' (default), 'js' or 'wasm': the solver's back end (src/wasm/, docs/wasm.md). */
  backend: z.enum(['auto', 'js', 'wasm']).optional(),
});
export type SolverSpec = z.output<typeof SolverSchema>;

/**
 * The spec's `gradient` is the library's GradientSettings as written (gradients/settings.ts): a
 * method and that method's own options; `method` may be left out for ACA.
 */
const GradientSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !Object.hasOwn(v, 'method') ? { ...v, method: 'aca' } : v),
  // First the method (its message names the methods), then that method's own options, strictly.
  z.looseObject({ method: z.enum(GRADIENT_METHODS as [GradientMethodName, ...GradientMethodName[]]) }).pipe(
    z.discriminatedUnion('method', [
      strict({
        method: z.literal('aca'),
        keepStages: z.union([z.boolean(), z.literal('auto')]).optional(),
        keptStagesLimitBytes: z.number().min(0).optional(),
        toleranceFactor: z.number().positive().max(1).optional(),
        accuracy: z.number().positive().lt(1).optional(),
        maxRefinements: z.number().int().min(1).max(10).optional(),
      }),
      strict({
        method: z.literal('adjoint'),
        rtol: z.number().positive().optional(),
        atol: z.number().positive().optional(),
        maxDrift: z.number().positive().optional(),
        resetStateAtOutputs: z.boolean().optional(),
      }),
      strict({ method: z.literal('naive') }),
    ]),
  ),
);
export type GradientSpec = z.output<typeof GradientSchema>;

const LossSchema = strict({
  kind: z.literal('squared_error').optional(),
  /** Weight per series (a state or an observation), default 1. */
  weights: z.record(z.string(), z.number().min(0)).optional(),
  /** 'sum' (default) or 'mean' over the observed cells. */
  reduction: z.enum(['sum', 'mean']).optional(),
});
export type LossSpec = z.output<typeof LossSchema>;

export const OPTIMIZERS = ['lm', 'lbfgs', 'adam'] as const;

/** Every key is documented in docs/cli.md ("Optimizer options"); defaults in spec/problem.ts DEFAULT_OPTIMIZER. */
const OptimizerSchema = strict({
  /** 'lm' (Levenberg-Marquardt on the residuals; default), 'lbfgs' or 'adam' (on the loss and its gradient). */
  method: z.enum(OPTIMIZERS).optional(),
  /** Iteration limit (default 100; an iteration limit is never convergence). */
  iterations: z.number().int().min(1).optional(),
  /** Adam's learning rate (default 0.01); L-BFGS's first trial step (default 1); both in scaled coordinates. */
  lr: z.number().positive().optional(),
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  eps: z.number().positive().optional(),
  /** Factor on the learning rate after each iteration (Adam; default 1). */
  lrDecay: z.number().positive().max(1).optional(),
  /** L-BFGS history length (default 10). */
  memory: z.number().int().min(1).optional(),
  /** Relative change of the loss below which the fit stops (default 1e-8, as scipy's least_squares). */
  ftol: z.number().min(0).lt(1).optional(),
  /** Relative step below which the fit stops (default 1e-8). */
  xtol: z.number().min(0).lt(1).optional(),
  /** Relative gradient below which the fit stops (LM: the cosine of r with J's columns; default 1e-8). */
  gtol: z.number().min(0).lt(1).optional(),
  /** LM's first trust radius as a multiple of the scaled size of the start (MINPACK's factor; default 0.1). */
  factor: z.number().positive().optional(),
  /** 'jacobian' (default): L-BFGS and Adam work in coordinates scaled by the residual Jacobian's column norms; 'none'. */
  scaling: z.enum(['jacobian', 'none']).optional(),
  /** Stop when the gradient's max-norm (fitted coordinates, absolute) falls below this (default 0: off). */
  gradientTolerance: z.number().min(0).optional(),
  /** Former name of ftol (kept for old specs). */
  lossTolerance: z.number().min(0).lt(1).optional(),
  /** Write the fit's checkpoint every this many iterations (default 10). */
  checkpointEvery: z.number().int().min(1).optional(),
});
export type OptimizerSpec = z.output<typeof OptimizerSchema>;

// ---------------------------------------------------------------------------------------------
// Training a model with a network on its time series (timeseries/train.ts), and its forecast.

export const SCHEDULE_KINDS = ['constant', 'step', 'cosine'] as const;

/** A learning-rate schedule (timeseries/schedule.ts): constant, step decay, or cosine with warm-up. */
const ScheduleSchema = choose<
  { kind: 'constant' } | { kind: 'step'; every: number; factor: number } | { kind: 'cosine'; minLr?: number; warmup?: number }
>((value) => {
  if (!isObject(value)) return { message: `expected {kind: ${SCHEDULE_KINDS.join(' | ')}, ...}, got ${show(value)}` };
  switch (value.kind) {
    case 'constant':
      return strict({ kind: z.literal('constant') });
    case 'step':
      return strict({ kind: z.literal('step'), every: z.number().int().min(1), factor: z.number().positive().max(1) });
    case 'cosine':
      return strict({ kind: z.literal('cosine'), minLr: z.number().min(0).optional(), warmup: z.number().int().min(0).optional() });
    case undefined:
      return { path: ['kind'], message: `missing (one of ${SCHEDULE_KINDS.join(', ')})` };
    default: {
      const hint = typeof value.kind === 'string' ? didYouMean(value.kind, SCHEDULE_KINDS) : '';
      return { path: ['kind'], message: `unknown schedule ${show(value.kind)}${hint || ` (one of ${SCHEDULE_KINDS.join(', ')})`}` };
    }
  }
});
export type ScheduleSpec = z.output<typeof ScheduleSchema>;

/** The settings one training run (or phase) may set; see timeseries/train.ts for each. */
const phaseShape = {
  iterations: z.number().int().min(1).optional(),
  /** Subsequences per mini-batch, and rows per subsequence (the start included). */
  batchSize: z.number().int().min(1).optional(),
  batchLength: z.number().int().min(2).optional(),
  /** Adam's base learning rate and its schedule. */
  lr: z.number().positive().optional(),
  schedule: ScheduleSchema.optional(),
  /** Fraction of the rows held out at the end for early stopping. */
  holdout: z.number().min(0).lt(1).optional(),
  validateEvery: z.number().int().min(1).optional(),
  patience: z.number().int().min(1).optional(),
  /** Largest Euclidean norm of a step's gradient. */
  clipNorm: z.number().positive().optional(),
  /** Seed of the subsequence sampling. */
  seed: z.number().int().optional(),
  /** Where validation solves start: y0 ('start') or the last complete training row. */
  validationFrom: z.enum(['start', 'lastTraining']).optional(),
  /** Where a subsequence starts: the observed row, the model's prediction, or 'auto'. */
  startFrom: z.enum(['auto', 'data', 'prediction']).optional(),
};

const PhaseSchema = strict(phaseShape);
export type PhaseSpec = z.output<typeof PhaseSchema>;

const TrainingSchema = strict({
  ...phaseShape,
  /** Runs one after another, each from the parameters the last one returned; each overrides the above. */
  phases: z.array(PhaseSchema).min(1).optional(),
});
export type TrainingSpec = z.output<typeof TrainingSchema>;

const ForecastSchema = strict({
  /** End of the forecast: a time at or after the data's end. */
  until: finite,
  /** Points of the forecast's even grid from the first data time to `until` (default 500). */
  points: z.number().int().min(2).optional(),
});
export type ForecastSpec = z.output<typeof ForecastSchema>;

// ---------------------------------------------------------------------------------------------
// Events (spec/events.ts, docs/events.md): zero crossings of an expression of the state.

const EventSchema = strict({
  /** The event function g(t, y, p): the event is a zero crossing of it. */
  when: ExpressionSchema,
  direction: z.enum(['up', 'down', 'both']).optional(),
  /** End the solve at the first (true) or N-th occurrence. */
  terminal: z.union([z.boolean(), z.number().int().min(1)]).optional(),
  /** New values of states at each occurrence that does not end the solve: `{ v: -e*v }`. */
  reset: z.record(z.string(), ExpressionSchema).optional(),
  /** Observed times of the occurrences, in order (fitted by their squared error). */
  observed: z.array(finite).min(1).optional(),
  /** Weight of the observed times' squared error (default 1). */
  weight: z.number().min(0).optional(),
});
const EventsSchema = z.record(z.string(), EventSchema);
export type EventsSpec = z.output<typeof EventsSchema>;

// ---------------------------------------------------------------------------------------------
// The spec.

export const SpecSchema = strict({
  name: z.string().optional(),
  description: z.string().optional(),
  model: ModelSchema,
  /**
   * Initial state at t0, by state name or in state order. Required, except for a model with a
   * network whose data's first row observes every state (the state there is the start).
   */
  initial: ValuesSchema.optional(),
  /** Parameter values, by name or in order. */
  params: ValuesSchema.optional(),
  /** Time of the initial state; default: the first output time. */
  t0: finite.optional(),
  /** Output times (`aca solve`); a data file's times take their place for grad and fit. */
  times: TimesSchema.optional(),
  /**
   * A CSV data file, relative to the spec file (the command line's --data overrides it), or
   * { file, time }: the file and the name of its time column (default 't' or 'time').
   */
  data: z.union([z.string().min(1), strict({ file: z.string().min(1), time: z.string().min(1).optional() })]).optional(),
  /** Named functions of the state that data columns may observe: `{ total: x + y }`. */
  observations: z.record(z.string(), z.string()).optional(),
  /** Events: `{ hit: { when: y, direction: down, terminal: true, reset: { v: -e*v } } }`. */
  events: EventsSchema.optional(),
  /** End of the solve when the output times end earlier (or there are none: a fit of event times). */
  t1: finite.optional(),
  solver: SolverSchema.optional(),
  gradient: GradientSchema.optional(),
  loss: LossSchema.optional(),
  optimizer: OptimizerSchema.optional(),
  /** Mini-batch training of a model with a network (in place of `optimizer`). */
  training: TrainingSchema.optional(),
  /** The fitted trajectory past the data's end (a model with a network). */
  forecast: ForecastSchema.optional(),
});

export type Spec = z.output<typeof SpecSchema>;
