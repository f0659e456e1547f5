/**
 * The aca-ode version a job was submitted with, and the one a worker runs. A worker runs only
 * jobs of its own version: another version may compute other numbers (or not know the run kind),
 * and a queue promises the results a local batch would give.
 *
 * ACA_QUEUE_VERSION (reserved for tests) makes a process claim another version, so that a test can
 * start a mismatched worker without installing a second copy of the package.
 */
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function acaVersion(): string {
  const claimed = process.env.ACA_QUEUE_VERSION;
  if (claimed) return claimed;
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
