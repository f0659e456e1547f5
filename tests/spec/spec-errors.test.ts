/**
 * Malformed specs, each with the exact message a user sees: `path: cause`, one line per problem.
 */
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/spec/errors.ts';
import { parseSpec, parseSpecText } from '../../src/spec/load.ts';
import { buildProblem } from '../../src/spec/problem.ts';
import { parseCsv } from '../../src/io/csv.ts';

/** A valid Lotka-Volterra spec (with a parameter named alpha), to break one thing at a time. */
function lv(): any {
  return {
    model: {
      states: ['x', 'y'],
      params: ['alpha', 'b', 'c', 'd'],
      equations: { x: 'alpha*x - b*x*y', y: '-c*y + d*x*y' },
    },
    initial: { x: 1, y: 1 },
    params: { alpha: 1.5, b: { value: 1, bounds: [0, 2] }, c: 3, d: 1 },
    times: [1, 2, 3],
  };
}

function specError(spec: unknown, data?: Parameters<typeof buildProblem>[1]): SpecError {
  try {
    buildProblem(parseSpec(spec), data);
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

const cases: [string, (s: any) => void, string][] = [
  ['a misspelt symbol in an equation', (s) => (s.model.equations.x = 'alfa*x - b*x*y'),
    "model.equations.x: unknown symbol 'alfa' (did you mean 'alpha'?)"],
  ['bounds in the wrong order', (s) => (s.params.b.bounds = [2, 1]), 'params.b.bounds: lower 2 > upper 1'],
  ['a misspelt key', (s) => (s.solver = { rtoll: 1e-6 }), "solver: unknown key 'rtoll' (did you mean 'rtol'?)"],
  ['an unknown key with nothing close', (s) => (s.solver = { speed: 2 }),
    "solver: unknown key 'speed' (allowed: method, rtol, atol, maxSteps, dt, firstStep, maxStep, controller, stiffnessCheck, newtonTol, eventSamples, backend)"],
  ['an unknown solver method', (s) => (s.solver = { method: 'dopri' }), "solver.method: unknown method 'dopri' (did you mean 'dopri5'?)"],
  ['a string for a number', (s) => (s.solver = { rtol: 'abc' }), "solver.rtol: expected a number, got 'abc'"],
  ['a parameter that is neither number nor object', (s) => (s.params.c = 'x'),
    "params.c: expected a number or an object {value, fit, bounds}, got 'x'"],
  ['a fitted value without its value', (s) => (s.params.b = { bounds: [0, 1] }), 'params.b.value: missing (required)'],
  ['an unknown built-in model', (s) => (s.model = { builtin: 'nbdy' }), "model.builtin: unknown built-in model 'nbdy' (did you mean 'nbody'?)"],
  ['an unknown optimizer', (s) => (s.optimizer = { method: 'lbgfs' }),
    "optimizer.method: 'lbgfs' is not one of 'lm', 'lbfgs', 'adam' (did you mean 'lbfgs'?)"],
  ['zero iterations', (s) => (s.optimizer = { iterations: 0 }), 'optimizer.iterations: must be >= 1, got 0'],
  ['a one-body N-body model', (s) => (s.model = { builtin: 'nbody', bodies: 1 }), 'model.bodies: must be >= 2, got 1'],
  ['an equation that is not an expression', (s) => (s.model.equations.x = true),
    'model.equations.x: expected a string or a number, got true'],
  ['an initial value for a state that does not exist', (s) => (s.initial = { x: 1, z: 2 }),
    "initial.z: 'z' is not a state of the model (the states are x, y)\ninitial.y: missing (the model's state 'y' needs a value)"],
  ['a parameter without a value', (s) => delete s.params.d, "params.d: missing (the model's parameter 'd' needs a value)"],
  ['times that go back', (s) => (s.times = [1, 3, 2]), 'times[2]: 2 is not after 3 (times must increase)'],
  ['too many initial values', (s) => (s.initial = [1, 2, 3]), 'initial: expected 2 state values (x, y), got 3'],
  ['no model', (s) => delete s.model, 'model: missing (required)'],
  ['a weight for an unknown series', (s) => (s.loss = { weights: { z: 1 } }),
    "loss.weights.z: 'z' is not a state or an observation (the series are x, y)"],
  ['a fixed-step method without dt', (s) => (s.solver = { method: 'rk4' }),
    "solver.dt: missing (the fixed-step method 'rk4' needs a step size)"],
  ['an observation with an unknown symbol', (s) => (s.observations = { total: 'x + yy' }),
    "observations.total: unknown symbol 'yy' (did you mean 'y'?)"],
  ['an observation with a parameter', (s) => (s.observations = { total: 'x + b' }),
    "observations.total: uses the parameter 'b' (an observation may use states, t and constants only)"],
  ['a log transform of a negative value', (s) => (s.params.b = { value: -1, transform: 'log' }),
    "params.b.transform: 'log' needs a positive value and a lower bound >= 0, got the value -1"],
  ['a log transform with a negative lower bound', (s) => (s.params.b = { value: 1, transform: 'log', bounds: [-1, 2] }),
    "params.b.transform: 'log' needs a positive value and a lower bound >= 0, got a lower bound of -1"],
  ['a start outside the bounds', (s) => (s.params.b = { value: 5, bounds: [0, 2] }), 'params.b.value: 5 is outside the bounds [0, 2]'],
  ['bounds that are not a pair', (s) => (s.params.b.bounds = [1]),
    'params.b.bounds: expected [lower, upper] (numbers, null for none), got [1]'],
  ['a state without an equation', (s) => delete s.model.equations.y,
    "model.equations.y: missing equation for state 'y' (every state needs one)"],
  ['an unknown gradient method', (s) => (s.gradient = { method: 'acaa' }),
    "gradient.method: 'acaa' is not one of 'aca', 'adjoint', 'naive' (did you mean 'aca'?)"],
  ['parameter names from a list of values', (s) => { delete s.model.params; s.params = [1.5, 1, 3, 1]; },
    'model.params: missing (list the parameter names here, or give `params` as a map name: value)'],
  ['linspace times without a count', (s) => (s.times = { start: 0, stop: 10 }), 'times.count: missing (required)'],
];

describe('malformed specs', () => {
  for (const [what, breakIt, message] of cases) {
    it(what, () => {
      const spec = lv();
      breakIt(spec);
      const error = specError(spec);
      expect(error.code).toBe('ERR_SPEC');
      expect(error.message).toBe(message);
    });
  }

  it('reports every problem, one line each', () => {
    const spec = lv();
    spec.solver = { method: 'dopri', rtol: -1 };
    spec.optimizer = { lr: 0 };
    expect(specError(spec).message).toBe(
      [
        "solver.method: unknown method 'dopri' (did you mean 'dopri5'?)",
        'solver.rtol: must be >= 1e-14, got -1',
        'optimizer.lr: must be > 0, got 0',
      ].join('\n'),
    );
  });

  it('a start time after the first data time', () => {
    const spec = lv();
    spec.t0 = 2;
    delete spec.times;
    const data = parseCsv('t,x\n1.5,2\n3,4\n', { name: 'lv.csv' });
    expect(specError(spec, data).message).toBe('t0: 2 is after the first data time 1.5 (lv.csv line 2)');
  });

  it('an empty spec file', () => {
    expect(() => parseSpecText('# nothing here\n', 'empty.yaml')).toThrowError(/^the spec is empty$/);
  });

  it('a YAML syntax error names the line', () => {
    const text = 'model:\n  builtin: lotka_volterra\nmodel: 2\n';
    expect(() => parseSpecText(text)).toThrowError(/^line 3, column 1: Map keys must be unique$/);
  });

  it('a spec that is a list', () => {
    expect(() => parseSpec([1, 2])).toThrowError(/^expected a map of keys \(model, initial, params, \.\.\.\), got \[1,2\]$/);
  });
});
