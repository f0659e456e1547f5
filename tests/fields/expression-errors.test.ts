import { describe, expect, it } from 'vitest';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { ModelError } from '../../src/fields/expression/errors.ts';
import { nbodyModel } from '../../src/fields/expression/nbody.ts';
import type { ExpressionModel } from '../../src/fields/expression/parse.ts';
import { InvalidArgumentError } from '../../src/errors.ts';

/** A valid base model; each case changes one thing. */
const base = {
  states: ['x', 'y'],
  params: ['alpha', 'beta'],
  constants: { G: 6.5 },
  definitions: { r: 'sqrt(x^2 + y^2)' },
  equations: { x: 'alpha * x', y: '-beta * y / r' },
};

function modelWith(change: Record<string, unknown>): ExpressionModel {
  return { ...base, ...change } as unknown as ExpressionModel;
}

const equations = (x: string, y = base.equations.y) => ({ equations: { x, y } });

const cases: [string, Record<string, unknown> | unknown, string, string][] = [
  ['unknown symbol, with a suggestion', equations('alfa * x'), 'equations.x',
    "equations.x: unknown symbol 'alfa' (did you mean 'alpha'?)"],
  ['unknown symbol, wrong case', equations('Beta * x'), 'equations.x',
    "equations.x: unknown symbol 'Beta' (did you mean 'beta'?)"],
  ['unknown symbol, nothing close', equations('omega * x'), 'equations.x',
    "equations.x: unknown symbol 'omega' (use a state, parameter, constant, definition, t, pi or e)"],
  ['unknown symbol in a definition', { definitions: { r: 'sqrt(x^2 + z^2)' } }, 'definitions.r',
    "definitions.r: unknown symbol 'z' (use a state, parameter, constant, definition, t, pi or e)"],
  ['parse error', equations('alpha * (x'), 'equations.x',
    "equations.x: cannot parse 'alpha * (x': Parenthesis ) expected (char 11)"],
  ['parse error in a definition', { definitions: { r: 'x +* 2' } }, 'definitions.r',
    "definitions.r: cannot parse 'x +* 2': Value expected (char 4)"],
  ['empty expression', equations(''), 'equations.x', 'equations.x: empty expression'],
  ['missing equation', { equations: { x: 'alpha' } }, 'equations.y',
    "equations.y: missing equation for state 'y' (every state needs one)"],
  ['no equations at all', { equations: undefined }, 'equations',
    'equations: missing (one equation per state is required)'],
  ['equation for a non-state', { equations: { x: '1', y: '2', w: '3' } }, 'equations.w',
    "equations.w: 'w' is not a state (states: x, y)"],
  ['equation for a parameter', { equations: { x: '1', y: '2', alpha: '3' } }, 'equations.alpha',
    "equations.alpha: 'alpha' is not a state (states: x, y)"],
  ['equation for a misspelt state', { equations: { x: '1', Y: '2' } }, 'equations.Y',
    "equations.Y: 'Y' is not a state (did you mean 'y'?)"],
  ['duplicate state', { states: ['x', 'y', 'x'] }, 'states[2]', "states[2]: duplicate name 'x' (already states[0])"],
  ['parameter named like a state', { params: ['alpha', 'x'] }, 'params[1]',
    "params[1]: duplicate name 'x' (already states[0])"],
  ['constant named like a parameter', { constants: { beta: 2 } }, 'constants.beta',
    "constants.beta: duplicate name 'beta' (already params[1])"],
  ['definition named like a constant', { definitions: { G: 'x + 1' } }, 'definitions.G',
    "definitions.G: duplicate name 'G' (already constants.G)"],
  ['definition that uses a later one', { definitions: { r: 'q + 1', q: 'x^2' } }, 'definitions.r',
    "definitions.r: uses 'q', which is defined after it (a definition may use only earlier definitions)"],
  ['definition that uses itself', { definitions: { r: 'r + x' } }, 'definitions.r',
    'definitions.r: uses itself (a definition may use only earlier definitions)'],
  ['unsupported function', equations('gamma(x)'), 'equations.x',
    "equations.x: unsupported function 'gamma' (supported: sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, " +
      'asinh, acosh, atanh, exp, log, log10, sqrt, cbrt, abs, sec, csc, cot, sech, csch, coth, pow)'],
  ['misspelt function', equations('sine(x)'), 'equations.x',
    "equations.x: unsupported function 'sine' (did you mean 'sin'?)"],
  ['wrong number of arguments', equations('sin(x, 2)'), 'equations.x', "equations.x: 'sin' takes 1 argument, got 2"],
  ['too many arguments to log', equations('log(x, 2, 3)'), 'equations.x',
    "equations.x: 'log' takes 1 or 2 arguments, got 3"],
  ['a name called like a function', equations('alpha(x + 1)'), 'equations.x',
    "equations.x: 'alpha' is not a function (write alpha * (...) to multiply)"],
  ['unsupported operator %', equations('x % 2'), 'equations.x',
    "equations.x: unsupported operator '%' (supported: + - * / ^ and unary -)"],
  ['unsupported operator !', equations('x!'), 'equations.x',
    "equations.x: unsupported operator '!' (supported: + - * / ^ and unary -)"],
  ['unsupported operator ==', equations('x == 2'), 'equations.x',
    "equations.x: unsupported operator '==' (supported: + - * / ^ and unary -)"],
  ['conditional', equations('x > 0 ? x : 0'), 'equations.x',
    "equations.x: unsupported syntax '(x > 0) ? x : 0' (a conditional; only arithmetic is allowed)"],
  ['assignment', equations('x = alpha'), 'equations.x',
    "equations.x: unsupported syntax 'x = alpha' (an assignment; write the right-hand side only; only arithmetic is allowed)"],
  ['string constant', equations('"abc"'), 'equations.x', 'equations.x: unsupported value "abc" (only numbers)'],
  ['non-string expression', equations(true as never), 'equations.x',
    'equations.x: expected an expression (a string), got true'],
  ['reserved name t', { states: ['t', 'y'] }, 'states[0]', "states[0]: 't' is reserved (it is the time)"],
  ['reserved name pi', { params: ['pi'] }, 'params[0]', "params[0]: 'pi' is reserved (a built-in constant)"],
  ['reserved function name', { params: ['exp'] }, 'params[0]', "params[0]: 'exp' is reserved (a function)"],
  ['mathjs keyword', { params: ['mod'] }, 'params[0]', "params[0]: 'mod' is reserved (a mathjs keyword)"],
  ['mathjs literal', { params: ['NaN'] }, 'params[0]', "params[0]: 'NaN' is reserved (a mathjs keyword)"],
  ['invalid name', { params: ['2a'] }, 'params[0]',
    "params[0]: invalid name '2a' (a letter or _ followed by letters, digits or _)"],
  ['non-numeric constant', { constants: { G: 'big' } }, 'constants.G', 'constants.G: expected a finite number, got "big"'],
  ['no states', { states: [] }, 'states', 'states: expected a non-empty array of names, got []'],
  ['not an object', null, 'model', 'model: expected an object with states, params and equations, got null'],
];

describe('expressionField: model errors', () => {
  it.each(cases)('%s', (_, change, path, message) => {
    const model = change === null ? (null as never) : modelWith(change as Record<string, unknown>);
    let error: unknown;
    try {
      expressionField(model);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).code).toBe('ERR_MODEL');
    expect((error as ModelError).path).toBe(path);
    expect((error as ModelError).message).toBe(message);
  });

  it('the base model of these cases is valid', () => {
    expect(expressionField(base).dim).toBe(2);
  });

  it('nbodyModel checks its options', () => {
    expect(() => nbodyModel({ bodies: 1 })).toThrow(InvalidArgumentError);
    expect(() => nbodyModel({ bodies: 3, dims: 4 as never })).toThrow('invalid dims: 4 (2 or 3)');
  });
});
