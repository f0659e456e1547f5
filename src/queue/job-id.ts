/**
 * A run's job id: its run id and a hash of its content, `<run id>.<16 hex digits>`. Adding a job
 * whose id exists is a no-op in BullMQ (Queue.add returns the existing job), so re-submitting a
 * run that is queued, running or finished adds nothing, and its result is read back from Redis;
 * a run whose line changed hashes differently and is a new job.
 *
 * The hash covers the run as it is sent (spec and data paths made absolute by the submitter) in a
 * canonical JSON form (keys sorted), so that reordering a run's keys does not make a new job. The
 * run id is kept in clear for the dashboard, with characters BullMQ's keys reserve (`:`) and
 * others that read badly in a URL replaced by `_`.
 */
import { createHash } from 'node:crypto';

export function runJobId(runId: string | number, run: unknown): string {
  const hash = createHash('sha256')
    .update(canonicalJson({ id: runId, run }))
    .digest('hex')
    .slice(0, 16);
  const readable = String(runId).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80);
  return `${readable}.${hash}`;
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sorted((value as Record<string, unknown>)[key]);
    return out;
  }
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}
