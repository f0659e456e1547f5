/**
 * Events and dense solutions (issue 18): the overhead of save: 'dense', of save: 'steps', and
 * of events on the figure-eight three-body orbit (one period, dopri5 at rtol = atol = 1e-8), as
 * ratios to a plain solve to the end time, measured side by side in one run.
 *
 *   plain          solve(..., { times: [T] })
 *   steps          save: 'steps' (every accepted step's end kept)
 *   dense          save: 'dense' (also every step's stages, for at(t))
 *   1 event        one event function checked on every step (a close encounter of bodies 0 and
 *                  1, |x0 - x1| < 0.8: 2 occurrences in the period)
 *   firing         an event that fires about once per accepted step (g = sin(pi N t / T), N the
 *                  number of accepted steps), each located by Brent on the interpolant
 *   dense+1 event  both
 *
 * Timing: warm-up, then the contenders interleaved round by round; each round times a batch of
 * solves lasting >= 15 ms, and the figure is the median over rounds of the time per solve.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { nbodyField } from '../../src/fields/nbody.ts';
import type { EventSpec } from '../../src/solvers/events.ts';
import { solve } from '../../src/solvers/solve.ts';

const P = JSON.parse(readFileSync(new URL('../../data/problems/three_body_figure_eight.json', import.meta.url), 'utf8'));
const field = nbodyField({ bodies: 3 });
const y0 = Float64Array.from(P.y0 as number[]);
const params = Float64Array.from(P.masses as number[]);
const T: number = P.period;
const base = { t0: 0, t1: T, params, rtol: 1e-8, atol: 1e-8 };

const close: EventSpec = {
  name: 'close',
  g: (_t, y) => (y[0] - y[3]) ** 2 + (y[1] - y[4]) ** 2 + (y[2] - y[5]) ** 2 - 0.64,
  direction: 'down',
};
const plain = solve(field, y0, { ...base, times: [T] });
const N = plain.stats.accepted;
const firing: EventSpec = { name: 'firing', g: (t) => Math.sin((Math.PI * N * t) / T) };

const contenders: [string, () => { stats: { accepted: number; fEvals: number }; events: readonly unknown[] }][] = [
  ['plain', () => solve(field, y0, { ...base, times: [T] })],
  ['steps', () => solve(field, y0, { ...base, save: 'steps' })],
  ['dense', () => solve(field, y0, { ...base, save: 'dense' })],
  ['1 event', () => solve(field, y0, { ...base, times: [T], events: [close] })],
  ['firing', () => solve(field, y0, { ...base, times: [T], events: [firing] })],
  ['dense+1 event', () => solve(field, y0, { ...base, save: 'dense', events: [close] })],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timeInterleaved(fns: (() => unknown)[], rounds: number, batchMs = 15): number[] {
  const batch = fns.map((fn) => {
    let n = 0;
    const t = performance.now();
    for (;;) {
      fn();
      n++;
      if (performance.now() - t >= batchMs || n >= 1 << 20) return n;
    }
  });
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const t = performance.now();
      for (let i = 0; i < batch[k]; i++) fn();
      samples[k].push(((performance.now() - t) * 1000) / batch[k]);
    });
  }
  return samples.map(median);
}

const ROUNDS = 31;
console.log(`Node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'}; median of ${ROUNDS} interleaved rounds, each a batch of >= 15 ms.`);
console.log(`Figure-eight, one period, dopri5 at 1e-8: ${N} accepted steps.\n`);
for (const [, fn] of contenders) fn(); // warm-up
const times = timeInterleaved(
  contenders.map(([, fn]) => fn),
  ROUNDS,
);
console.log('contender      | us/solve | ratio to plain | accepted | f evals | events');
console.log('---------------|----------|----------------|----------|---------|-------');
contenders.forEach(([name, fn], k) => {
  const r = fn();
  console.log(
    `${name.padEnd(14)} | ${times[k].toFixed(1).padStart(8)} | ${(times[k] / times[0]).toFixed(2).padStart(14)} | ` +
      `${String(r.stats.accepted).padStart(8)} | ${String(r.stats.fEvals).padStart(7)} | ${r.events.length}`,
  );
});
