/**
 * The functions an equation may call: each is one that mathjs `derivative` can differentiate and
 * that lowers to plain JavaScript Math calls. The reciprocal trigonometric functions are included
 * because mathjs writes derivatives with them (d tan = sec^2, d tanh = sech^2).
 */

import { nullProtoTable } from '../../util/own.ts';

/** Functions that map one-to-one onto a Math method. */
export const MATH_FUNCTIONS = [
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh',
  'exp', 'log', 'log10', 'sqrt', 'cbrt', 'abs',
] as const;
export type MathFunction = (typeof MATH_FUNCTIONS)[number];

/** Reciprocals lowered to 1 / f(x), so that f(x) is shared with other uses. */
export const RECIPROCALS: Readonly<Record<string, MathFunction>> = nullProtoTable(Object.entries({
  sec: 'cos', csc: 'sin', cot: 'tan', sech: 'cosh', csch: 'sinh', coth: 'tanh',
} as const));

/**
 * Allowed argument counts of every supported function. No prototype: a call `toString(x)` or
 * `constructor(x)` must find nothing here, not Object.prototype's functions.
 */
export const ARITY: Readonly<Record<string, readonly number[]>> = nullProtoTable(Object.entries({
  ...Object.fromEntries(MATH_FUNCTIONS.map((name) => [name, [1]])),
  ...Object.fromEntries(Object.keys(RECIPROCALS).map((name) => [name, [1]])),
  log: [1, 2],
  pow: [2],
}));

export const SUPPORTED_FUNCTIONS: readonly string[] = Object.keys(ARITY);

export function isMathFunction(name: string): name is MathFunction {
  return (MATH_FUNCTIONS as readonly string[]).includes(name);
}
