/**
 * Specs whose model has a network (a neural ODE, or a hybrid model with nn(...)[k] terms): the
 * exact messages for malformed ones, and what a valid one becomes (the field, the starting
 * parameters, the indices to train, the initial state, the training plan).
 */
import { describe, expect, it } from 'vitest';
import { hybridField } from '../../src/fields/hybrid.ts';
import { mlpField } from '../../src/fields/mlp.ts';
import { parseCsv } from '../../src/io/csv.ts';
import { SpecError } from '../../src/spec/errors.ts';
import { parseSpec } from '../../src/spec/load.ts';
import { buildProblem } from '../../src/spec/problem.ts';
import { shareIterations, trainingPlan } from '../../src/timeseries/plan.ts';

function neural(): any {
  return {
    model: { states: ['x', 'y'], network: { sizes: [2, 8, 2], activation: 'tanh', inputTransform: 'cube', seed: 3 } },
    initial: { x: 2, y: 0 },
  };
}

function hybrid(): any {
  return {
    model: {
      states: ['x', 'y'],
      params: ['a', 'c', 'd'],
      equations: { x: 'a*x - nn(x, y)[1]', y: '-c*y + d*x*y' },
      network: { sizes: [2, 8, 1], activation: 'softplus', seed: 1 },
    },
    params: { a: 1.5, c: 3, d: 1 },
  };
}

/** t, x, y with a missing y at t = 1 (line 3) and irregular times. */
const DATA = parseCsv('t,x,y\n0.5,1,1.5\n1,2,\n2.5,3,3\n3,1,1\n', { name: 'd.csv' });

function specError(spec: unknown, data?: Parameters<typeof buildProblem>[1]): SpecError {
  try {
    buildProblem(parseSpec(spec), data);
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

const cases: [string, () => any, string, typeof DATA?][] = [
  ['an unknown activation', () => ({ ...neural(), model: { ...neural().model, network: { sizes: [2, 8, 2], activation: 'tahn' } } }),
    "model.network.activation: 'tahn' is not one of 'tanh', 'softplus', 'relu', 'identity' (did you mean 'tanh'?)"],
  ['network sizes that do not match the states', () => ({ ...neural(), model: { states: ['x', 'y'], network: { sizes: [3, 8, 2] } } }),
    'model.network.sizes: [3, 8, 2] does not match the 2 states (x, y): expected [2, ..., 2] (one input and one output per state)'],
  ['network sizes without room for t', () => ({ ...neural(), model: { states: ['x', 'y'], network: { sizes: [2, 8, 2], timeInput: true } } }),
    'model.network.sizes: [2, 8, 2] does not match the 2 states (x, y): expected [3, ..., 2] (the states and t in, one output per state)'],
  ['a misspelt network key', () => ({ ...neural(), model: { states: ['x', 'y'], network: { size: [2, 2] } } }),
    "model.network.sizes: missing (required)\nmodel.network: unknown key 'size' (did you mean 'sizes'?)"],
  ['nn() in a model without a network', () => { const s = hybrid(); delete s.model.network; return s; },
    'model.equations.x: nn(...) calls a network, but the model has none (add model.network, e.g. { sizes: [2, 16, 1] })'],
  ['nn() with more arguments than network inputs', () => { const s = hybrid(); s.model.network.sizes = [3, 8, 1]; return s; },
    'model.equations.x: nn(x, y) has 2 argument(s) but the network takes 3 input(s) (network.sizes[0])'],
  ['a network the equations never call', () => { const s = hybrid(); s.model.equations.x = 'a*x - x*y'; return s; },
    'model.equations: a hybrid model must use the network: write a term nn(x, y)[1] (arguments: states or t; index: the output, from 1)'],
  ['timeInput in a hybrid model', () => { const s = hybrid(); s.model.network.timeInput = true; return s; },
    'model.network.timeInput: only for a neural model (in a hybrid model, give t as an argument: nn(x, y, t)[1])'],
  ['training.batchLength < 2', () => ({ ...neural(), training: { batchLength: 1 } }), 'training.batchLength: must be >= 2, got 1'],
  ['a misspelt key in a phase', () => ({ ...neural(), training: { phases: [{}, { batchLenght: 3 }] } }),
    "training.phases[1]: unknown key 'batchLenght' (did you mean 'batchLength'?)"],
  ['an unknown schedule', () => ({ ...neural(), training: { schedule: { kind: 'cosin' } } }),
    "training.schedule.kind: unknown schedule 'cosin' (did you mean 'cosine'?)"],
  ['a step schedule without its factor', () => ({ ...neural(), training: { schedule: { kind: 'step', every: 0 } } }),
    'training.schedule.every: must be >= 1, got 0\ntraining.schedule.factor: missing (required)'],
  ['a cosine floor above the learning rate', () => ({ ...neural(), training: { phases: [{ lr: 0.01, schedule: { kind: 'cosine', minLr: 0.1 } }] } }),
    'training.phases[0].schedule.minLr: 0.1 is above the learning rate 0.01'],
  ['a holdout of everything', () => ({ ...neural(), training: { holdout: 1 } }), 'training.holdout: must be < 1, got 1'],
  ['a holdout that leaves one training row', () => ({ ...neural(), training: { holdout: 0.7, phases: [{}, {}] } }),
    'training.holdout: 0.7 leaves fewer than two of the 4 data rows for training', DATA],
  ['an optimizer and a loss with a network', () => ({ ...neural(), optimizer: { method: 'adam' }, loss: { reduction: 'mean' } }),
    'optimizer: a model with a network is trained by `training` (mini-batches and Adam), not by `optimizer`\n' +
      'loss: not used with a network: training minimizes the mean squared error over the observed cells'],
  ['training and forecast in an equation model', () => ({ model: { states: ['x'], params: [], equations: { x: '-x' } }, initial: { x: 1 }, training: {}, forecast: { until: 2 } }),
    'training: only for a model with a network (model.network); an equation model is fitted by `optimizer`\n' +
      'forecast: only for a model with a network (model.network)'],
  ['a forecast that ends before the data', () => ({ ...neural(), forecast: { until: 2 } }),
    "forecast.until: 2 is before the data's end 3 (the forecast runs past it)", DATA],
  ['a fitted initial state', () => { const s = neural(); s.initial.x = { value: 2 }; return s; },
    'initial.x: a model with a network does not fit its initial state: give a number (the state at the first data time)'],
  ['no initial state and a first row with a gap', () => { const s = neural(); delete s.initial; return s; },
    "initial: missing (the data's first row, d.csv line 2, does not observe y; give the state at t = 0)",
    parseCsv('t,x,y\n0,1,\n1,2,2\n', { name: 'd.csv' })],
  ['bounds and transforms of a hybrid parameter', () => { const s = hybrid(); s.params.a = { value: 1, bounds: [0, 2] }; s.params.c = { value: 1, transform: 'log' }; return s; },
    'params.a.bounds: not supported with a network (training takes plain Adam steps): leave them out\n' +
      'params.c.transform: not supported with a network (training takes plain Adam steps): leave it out', DATA],
  ['a start time before the data', () => ({ ...hybrid(), t0: 0 }),
    't0: 0 is not the first data time 0.5 (a model with a network starts there: leave t0 out)', DATA],
];

describe('malformed network specs', () => {
  for (const [what, make, message, data] of cases) {
    it(what, () => {
      const error = specError(make(), data);
      expect(error.code).toBe('ERR_SPEC');
      expect(error.message).toBe(message);
    });
  }
});

describe('network specs', () => {
  it('a neural model: mlpField named after the states, its seeded weights, all of them trained', () => {
    const problem = buildProblem(parseSpec(neural()), DATA);
    const reference = mlpField({ sizes: [2, 8, 2], activation: 'tanh', inputTransform: 'cube', seed: 3 });
    expect(problem.stateNames).toEqual(['x', 'y']);
    expect(problem.field.spec).toEqual(reference.spec);
    expect(Array.from(problem.params)).toEqual(Array.from(reference.initParams()));
    expect(problem.network).toMatchObject({ kind: 'neural', networkOffset: 0, networkParams: reference.nParams });
    expect(problem.network!.trainable).toEqual(Array.from({ length: reference.nParams }, (_, j) => j));
    // The spec's initial state, at the first data time.
    expect(Array.from(problem.y0)).toEqual([2, 0]);
    expect(problem.t0).toBe(0.5);
    const out = new Float64Array(2);
    const expected = new Float64Array(2);
    problem.field.f(0, Float64Array.from([0.3, -0.7]), problem.params, out);
    reference.f(0, Float64Array.from([0.3, -0.7]), problem.params, expected);
    expect(Array.from(out)).toEqual(Array.from(expected));
  });

  it('a hybrid model: the model parameters first, the fitted ones and the network trained; y0 from the first row', () => {
    const spec = hybrid();
    spec.params.c = { value: 2.5 };
    const problem = buildProblem(parseSpec(spec), DATA);
    const reference = hybridField({
      model: spec.model && { states: ['x', 'y'], params: ['a', 'c', 'd'], equations: spec.model.equations },
      network: { sizes: [2, 8, 1], activation: 'softplus', seed: 1 },
    });
    expect(Array.from(problem.params)).toEqual(Array.from(reference.initParams([1.5, 2.5, 1])));
    expect(problem.paramNames.slice(0, 4)).toEqual(['a', 'c', 'd', 'nn.W1[0,0]']);
    const weights = Array.from({ length: reference.mlp.nParams }, (_, j) => 3 + j);
    expect(problem.network!.trainable).toEqual([1, ...weights]);
    expect(Array.from(problem.y0)).toEqual([1, 1.5]);
  });

  it('the training plan: phases over the base settings, the series with its gap, --iterations shared', () => {
    const spec = {
      ...neural(),
      solver: { rtol: 1e-5 },
      gradient: { method: 'adjoint' },
      training: { lr: 0.03, clipNorm: 1, phases: [{ iterations: 300, batchLength: 3 }, { iterations: 100, lr: 0.001 }] },
      forecast: { until: 5, points: 50 },
    };
    const problem = buildProblem(parseSpec(spec), DATA);
    const plan = trainingPlan(problem);
    expect(plan.train).toMatchObject({ lr: 0.03, clipNorm: 1, gradient: { method: 'adjoint' }, solver: { method: 'dopri5', rtol: 1e-5 } });
    expect(plan.train.iterations).toBeUndefined();
    expect(plan.phases).toEqual([{ iterations: 300, batchLength: 3 }, { iterations: 100, lr: 0.001 }]);
    expect(plan.iterations).toEqual([300, 100]);
    expect(plan.until).toBe(5);
    expect(plan.points).toBe(50);
    expect(Array.from(plan.train.series.times)).toEqual([0.5, 1, 2.5, 3]);
    expect(plan.train.series.values[3]).toBeNaN();
    expect(trainingPlan(problem, { iterations: 40, until: 7 })).toMatchObject({ iterations: [30, 10], until: 7 });
    expect(trainingPlan(problem, { iterations: 40 }).phases!.map((p) => p.iterations)).toEqual([30, 10]);
  });

  it('shareIterations splits a total in proportion, each share at least 1', () => {
    expect(shareIterations([3000, 1000], 400)).toEqual([300, 100]);
    expect(shareIterations([1000, 500], 100)).toEqual([67, 33]);
    expect(shareIterations([1, 1, 1], 10)).toEqual([4, 3, 3]);
    expect(shareIterations([1000, 1], 10)).toEqual([10, 1]);
    expect(shareIterations([250], 7)).toEqual([7]);
  });
});
