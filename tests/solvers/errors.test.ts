/**
 * Every error class of the solver, provoked, with its fields and message checked: the message
 * names the quantity at fault, its value and (for arguments) what is allowed.
 */
import { describe, expect, it } from 'vitest';
import {
  AcaError,
  describeValue,
  InvalidArgumentError,
  MaxStepsExceededError,
  NonFiniteError,
  solve,
  StepSizeUnderflowError,
  type Field,
  type SolveOptions,
} from '../../src/index.ts';
import { kepler, rotation } from './closed-forms.ts';

/** The error thrown by fn (fails the test if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, none was thrown');
}

/** y' = y^2, y(0) = 1: y = 1 / (1 - t) blows up at t = 1. */
const blowUp: Field = {
  dim: 1,
  nParams: 0,
  f(_t, y, _p, out) {
    out[0] = y[0] * y[0];
  },
};

describe('StepSizeUnderflowError', () => {
  it('at a singularity, with t near it and h below the rounding of t', () => {
    const e = thrown(() => solve(blowUp, [1], { times: [0, 2] })) as StepSizeUnderflowError;
    expect(e).toBeInstanceOf(StepSizeUnderflowError);
    expect(e).toBeInstanceOf(AcaError);
    expect(e.code).toBe('ERR_STEP_SIZE_UNDERFLOW');
    expect(Math.abs(e.t - 1)).toBeLessThan(1e-3);
    expect(Math.abs(e.h)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(e.t));
    expect(e.message).toContain(`at t = ${e.t}: h = ${e.h}`);
    expect(e.message).toContain('loosen rtol/atol or lower minStep');
  });

  it('below minStep, before the singularity', () => {
    const e = thrown(() => solve(blowUp, [1], { times: [0, 2], minStep: 1e-4 })) as StepSizeUnderflowError;
    expect(e).toBeInstanceOf(StepSizeUnderflowError);
    expect(e.t).toBeGreaterThan(0.9);
    expect(e.t).toBeLessThan(1);
    expect(Math.abs(e.h)).toBeLessThan(1e-4);
    expect(e.message).toContain(`at t = ${e.t}: h = ${e.h} is below the smallest allowed step 0.0001`);
  });

  it('integrating backwards: h carries the direction', () => {
    // y' = -y^2 backwards from t = 0, y(0) = 1: y = 1 / (1 + t) blows up at t = -1.
    const backward: Field = { ...blowUp, f: (_t, y, _p, out) => void (out[0] = -y[0] * y[0]) };
    const e = thrown(() => solve(backward, [1], { times: [0, -2] })) as StepSizeUnderflowError;
    expect(e).toBeInstanceOf(StepSizeUnderflowError);
    expect(Math.abs(e.t + 1)).toBeLessThan(1e-3);
    expect(e.h).toBeLessThan(0);
  });
});

describe('MaxStepsExceededError', () => {
  it('reports the t reached, which is where the last accepted step ended', () => {
    const P = kepler(0.5);
    let attempts = 0;
    let reached = NaN;
    const e = thrown(() =>
      solve(
        P.field,
        P.y0,
        { times: [0, 20], maxSteps: 25, rtol: 1e-10, atol: 1e-10 },
        {
          attempt: () => void attempts++,
          accepted: ({ t, h }) => void (reached = t + h),
        },
      ),
    ) as MaxStepsExceededError;
    expect(e).toBeInstanceOf(MaxStepsExceededError);
    expect(e.code).toBe('ERR_MAX_STEPS');
    expect(e.maxSteps).toBe(25);
    expect(attempts).toBe(25);
    expect(e.t).toBe(reached);
    expect(e.t).toBeGreaterThan(0);
    expect(e.t).toBeLessThan(20);
    expect(e.message).toContain(`maximum number of steps (25) exceeded at t = ${e.t} before reaching t = 20`);
  });
});

describe('NonFiniteError', () => {
  /** y' = (1, v(t), 0) with v = 0 before t = 0.5 and `bad` from then on. */
  const goesBad = (bad: number): Field => ({
    dim: 3,
    nParams: 0,
    f(t, _y, _p, out) {
      out[0] = 1;
      out[1] = t >= 0.5 ? bad : 0;
      out[2] = 0;
    },
  });

  it('in the derivative at the start: t0 and the component index', () => {
    const e = thrown(() => solve(goesBad(NaN), [0, 0, 0], { times: [0.5, 1] })) as NonFiniteError;
    expect(e).toBeInstanceOf(NonFiniteError);
    expect(e.code).toBe('ERR_NON_FINITE');
    expect(e).toMatchObject({ t: 0.5, index: 1, what: 'derivative' });
    expect(e.message).toBe('non-finite derivative at t = 0.5: component 1 is NaN');
  });

  it('in the state after a fixed step: the step end and the component index', () => {
    const e = thrown(() => solve(goesBad(Infinity), [0, 0, 0], { times: [0, 1], method: 'rk4', dt: 0.25 })) as NonFiniteError;
    expect(e).toBeInstanceOf(NonFiniteError);
    // The steps end at 0.25 and 0.5; the stage at t = 0.5 makes component 1 infinite.
    expect(e).toMatchObject({ t: 0.5, index: 1, what: 'state' });
    expect(e.message).toBe('non-finite state at t = 0.5: component 1 is Infinity');
  });

  it('an adaptive method rejects non-finite trials and shrinks; at underflow the NaN is the error, not the step size', () => {
    const e = thrown(() => solve(goesBad(NaN), [0, 0, 0], { times: [0, 1] })) as NonFiniteError;
    expect(e).toBeInstanceOf(NonFiniteError);
    expect(e).not.toBeInstanceOf(StepSizeUnderflowError);
    expect(e).toMatchObject({ index: 1, what: 'derivative' });
    expect(Math.abs(e.t - 0.5)).toBeLessThan(1e-12);
  });

  it('a non-finite trial that a shorter step avoids is not an error (sqrt of a negative beyond the end)', () => {
    // y' = (1, sqrt(1.05 - y0)): a long first trial evaluates sqrt past 1.05 and is rejected.
    const field: Field = { dim: 2, nParams: 0, f(_t, y, _p, out) { out[0] = 1; out[1] = Math.sqrt(1.05 - y[0]); } };
    const s = solve(field, [0, 0], { times: [1], t0: 0, firstStep: 2 });
    expect(s.stats.rejected).toBeGreaterThan(0);
    // y1(1) = (2/3) (1.05^1.5 - 0.05^1.5)
    expect(s.y[1]).toBeCloseTo((2 / 3) * (1.05 ** 1.5 - 0.05 ** 1.5), 5);
  });
});

describe('InvalidArgumentError', () => {
  const P = rotation;
  const base: SolveOptions = { times: [0, 1], params: P.params };
  const cases: [string, SolveOptions | null, string, unknown, string?][] = [
    ['unknown method', { ...base, method: 'rk45' }, 'method', 'rk45', 'one of euler, midpoint, rk4'],
    ['negative rtol', { ...base, rtol: -1 }, 'rtol', -1, 'a finite number >= 1e-14'],
    ['rtol below the floor', { ...base, rtol: 1e-17 }, 'rtol', 1e-17, 'a finite number >= 1e-14'],
    ['a zero atol', { ...base, atol: 0 }, 'atol', 0, 'a finite number > 0'],
    ['times as a string', { ...base, times: '01' as unknown as number[] }, 'times', '01', 'not a string'],
    ['a misspelt controller key', { ...base, controller: { factorMaxx: 5 } as never }, 'controller.factorMaxx', 5, "did you mean 'factorMax'"],
    ['atol of the wrong length', { ...base, atol: [1e-6] }, 'atol', [1e-6], 'a number or an array of length 2'],
    ['a negative atol component', { ...base, atol: [1e-6, -1] }, 'atol[1]', -1],
    ['a zero rtol component', { ...base, rtol: [1e-6, 0] }, 'rtol[1]', 0, 'a finite number >= 1e-14'],
    ['no output times', { ...base, times: [] }, 'times', [], 'at least one output time'],
    ['output times out of order', { ...base, times: [0, 1, 0.5] }, 'times[2]', 0.5, 'output times must be increasing from times[1] = 1'],
    ['a non-finite output time', { ...base, times: [0, NaN] }, 'times[1]', NaN, 'a finite number'],
    ['t1 before the last output', { ...base, t1: 0.5 }, 't1', 0.5, 'must not end before the last output time 1'],
    ['params of the wrong length', { ...base, params: [1] }, 'params', [1], "the field's parameter count"],
    ['a fixed-step method without dt', { ...base, method: 'rk4' }, 'dt', undefined, 'required by the fixed-step method rk4'],
    ['a negative dt', { ...base, method: 'rk4', dt: -0.1 }, 'dt', -0.1, 'a finite number > 0'],
    ['a zero firstStep', { ...base, firstStep: 0 }, 'firstStep', 0],
    ['a fractional maxSteps', { ...base, maxSteps: 1.5 }, 'maxSteps', 1.5, 'a positive integer'],
    ['a negative minStep', { ...base, minStep: -1 }, 'minStep', -1],
    ['maxStep not above minStep', { ...base, minStep: 0.1, maxStep: 0.1 }, 'maxStep', 0.1, 'a number > minStep (0.1)'],
    ['an unknown controller', { ...base, controller: 'p' as never }, 'controller', 'p', "'integral' or 'pi'"],
    ['a safety factor above 1', { ...base, controller: { safety: 2 } }, 'controller.safety', 2, 'a number in (0, 1]'],
    ['factorMin not below 1', { ...base, controller: { factorMin: 1 } }, 'controller.factorMin', 1],
    ['factorMax not above 1', { ...base, controller: { factorMax: 0.5 } }, 'controller.factorMax', 0.5],
    ['no options', null, 'options', null, 'an object with at least `times`'],
  ];

  for (const [what, options, argument, value, allowed] of cases) {
    it(`${what}: names ${argument} and its value`, () => {
      const e = thrown(() => solve(P.field, P.y0, options as SolveOptions)) as InvalidArgumentError;
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.code).toBe('ERR_INVALID_ARGUMENT');
      expect(e.argument).toBe(argument);
      expect(e.value).toEqual(value);
      expect(e.message.startsWith(`invalid ${argument}: ${describeValue(value)} (`)).toBe(true);
      if (allowed) expect(e.message).toContain(allowed);
    });
  }

  it('y0 of the wrong length, and a non-finite y0 component', () => {
    const short = thrown(() => solve(P.field, [1], base)) as InvalidArgumentError;
    expect(short).toMatchObject({ argument: 'y0', value: [1] });
    expect(short.message).toBe("invalid y0: [1] (an array of length 2 (the field's dimension))");
    const nan = thrown(() => solve(P.field, [1, NaN], base)) as InvalidArgumentError;
    expect(nan).toMatchObject({ argument: 'y0[1]' });
    expect(nan.message).toBe('invalid y0[1]: NaN (a finite number)');
  });
});
