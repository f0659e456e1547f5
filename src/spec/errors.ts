/**
 * SpecError: a problem spec (YAML/JSON) that cannot be run. Each issue names the place in the
 * spec as a path from its root (`params.b.bounds`, `model.equations.x`, `times[3]`) and the
 * cause; the message is one `path: cause` line per issue, so that it reads the same in a test,
 * on a terminal and in a worker's error report.
 */
import { AcaError } from '../errors.ts';
import { capMessage } from '../limits.ts';

export interface SpecIssue {
  /** Dotted path from the spec's root; '' for the spec as a whole. */
  readonly path: string;
  readonly message: string;
}

export class SpecError extends AcaError {
  readonly issues: readonly SpecIssue[];
  /** The spec file, when it came from one (not part of the message). */
  readonly file?: string;
  constructor(issues: readonly SpecIssue[], file?: string) {
    super('ERR_SPEC', formatIssues(issues));
    this.issues = issues;
    this.file = file;
  }
}

/** At most MAX_ISSUES lines, each capped: a spec with a million bad names gives a short message. */
const MAX_ISSUES = 20;

function formatIssues(issues: readonly SpecIssue[]): string {
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => capMessage(formatIssue(issue), 300));
  if (issues.length > MAX_ISSUES) lines.push(`... and ${issues.length - MAX_ISSUES} more problems`);
  return lines.join('\n');
}

export function formatIssue(issue: SpecIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/** A path as written in messages: names joined by '.', array indices as [i]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
