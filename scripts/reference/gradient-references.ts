/**
 * Writes data/reference/gradient-accuracy.json: for each problem of gradient-problems.ts, the
 * gradient (dL/dy0, dL/dp), the loss and the outputs by the variational equations
 * (variational.ts) integrated with the project's dopri8 at rtol = atol = 1e-13, and the same at
 * 1e-12 as a self-check (their relative difference is stored). The scipy cross-check
 * (gradient_scipy.py) reads this file and adds its own comparison.
 *
 *   node --import tsx scripts/reference/gradient-references.ts
 *   python3 scripts/reference/gradient_scipy.py
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACCURACY_PROBLEMS } from './gradient-problems.ts';
import { relativeError, variationalGradient } from './variational.ts';

const here = dirname(fileURLToPath(import.meta.url));
const file = join(here, '..', '..', 'data', 'reference', 'gradient-accuracy.json');
const out: Record<string, unknown> = {
  command: 'node --import tsx scripts/reference/gradient-references.ts',
  method: 'variational equations (scripts/reference/variational.ts), dopri8, rtol = atol = 1e-13',
  problems: {},
};
for (const [key, make] of Object.entries(ACCURACY_PROBLEMS)) {
  const problem = make();
  const ref = variationalGradient(problem, 1e-13);
  const check = variationalGradient(problem, 1e-12);
  const selfCheck = relativeError([[check.dy0, ref.dy0], [check.dp, ref.dp]]);
  const { name, y0, params, t0, times } = problem;
  (out.problems as Record<string, unknown>)[key] = { name, y0, params, t0, times, ...ref, selfCheck1e12: selfCheck };
  console.log(`${key}: loss ${ref.loss}, |1e-12 - 1e-13| / |1e-13| = ${selfCheck.toExponential(2)}`);
}
// Keep the scipy cross-check of an earlier run (gradient_scipy.py writes it; rerun it after this).
if (existsSync(file)) {
  const previous = JSON.parse(readFileSync(file, 'utf8')) as { scipy?: unknown };
  if (previous.scipy) out.scipy = previous.scipy;
}
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${file}`);
