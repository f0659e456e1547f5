/**
 * zod issues as spec issues: `path: cause`, with causes in the words of a spec's author
 * (`expected a number, got 'abc'`, `missing (required)`) rather than zod's defaults.
 */
import type { z } from 'zod';
import { didYouMean } from '../fields/expression/suggest.ts';
import { formatPath, type SpecIssue } from './errors.ts';
import { show } from './schema.ts';

type ZodIssue = z.core.$ZodIssue & { input?: unknown };

export function specIssues(issues: readonly ZodIssue[], prefix: readonly PropertyKey[] = []): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const branch = issue.code === 'invalid_union' ? acceptedBranch(issue) : undefined;
    if (branch) {
      out.push(...specIssues(branch as ZodIssue[], path));
      continue;
    }
    for (const message of describe(issue)) out.push({ path: formatPath(path), message });
  }
  return out;
}

function describe(issue: ZodIssue): string[] {
  const input = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return ['missing (required)'];
      return [`expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${show(input)}`];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'array') {
        const count = Array.isArray(input) ? `, got ${input.length}` : '';
        const which = issue.code === 'too_small' ? 'at least' : 'at most';
        return [`needs ${which} ${bound} ${Number(bound) === 1 ? 'entry' : 'entries'}${count}`];
      }
      if (issue.origin === 'string') return [issue.code === 'too_small' ? 'must not be empty' : `longer than ${bound}`];
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      return [`must be ${op} ${bound}, got ${show(input)}`];
    }
    case 'invalid_value': {
      const values = issue.values.map(show);
      if (values.length === 1) return [`expected ${values[0]}, got ${show(input)}`];
      const hint = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : '';
      return [`${show(input)} is not one of ${values.join(', ')}${hint}`];
    }
    case 'unrecognized_keys':
      // strict() in schema.ts writes one line per key.
      return issue.message.split('\n');
    case 'invalid_union': {
      // Every branch refused the value's type: say what would have been accepted.
      const expected = issue.errors.map((branch) => {
        const root = branch.find((b) => b.path.length === 0 && b.code === 'invalid_type') as { expected: string };
        return TYPE_NAMES[root.expected] ?? root.expected;
      });
      return [`expected ${[...new Set(expected)].join(' or ')}, got ${show(input)}`];
    }
    default:
      return [issue.message];
  }
}

/** The first union branch that accepted the value's type (its issues are the ones to report). */
function acceptedBranch(issue: z.core.$ZodIssueInvalidUnion): readonly z.core.$ZodIssue[] | undefined {
  return issue.errors.find((branch) => !branch.some((b) => b.path.length === 0 && b.code === 'invalid_type'));
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object of name: value',
  array: 'a list',
  tuple: 'a list',
  null: 'null',
};
