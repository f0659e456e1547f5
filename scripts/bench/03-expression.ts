/**
 * Equation models compiled to straight-line JS, on the figure-eight three-body state
 * (data/problems/three_body_figure_eight.json; 18 states, the 3 masses as parameters).
 *
 * f: the compiled expressionField(nbodyModel({ bodies: 3 })) against the hand-written nbodyField
 * and against mathjs interpreting the same model (`compile().evaluate(scope)` for each definition
 * and each equation, the scope a Map refreshed from y and p on every call; mathjs's number-only
 * build, the one the compiler loads, which evaluates plain numbers at least as fast as the full one).
 * VJP: compiled against hand-written (information; mathjs has no VJP).
 * Goals printed: compiled f within 1.5x of hand-written; at least 20x faster than mathjs.
 *
 * Timing: warm-up, then the contenders interleaved round by round; each round times a batch of
 * calls (>= 15 ms), and the figure is the median over rounds of the time per call.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { expressionField, nbodyField, nbodyModel } from '../../src/index.ts';
import { mathjs } from '../../src/fields/expression/mathjs.ts';

interface FigureEight {
  readonly y0: number[];
  readonly masses: number[];
  readonly G: number;
}
const problem: FigureEight = JSON.parse(
  readFileSync(new URL('../../data/problems/three_body_figure_eight.json', import.meta.url), 'utf8'),
);
const y = Float64Array.from(problem.y0);
const p = Float64Array.from(problem.masses);
const a = Float64Array.from({ length: 18 }, (_, i) => Math.sin(i + 1)); // a fixed, generic cotangent

// ---------------------------------------------------------------------------------------------
// Contenders

let t0 = performance.now();
const math = mathjs();
const loadMs = performance.now() - t0;
const model = nbodyModel({ bodies: 3, G: problem.G });
t0 = performance.now();
const compiled = expressionField(model);
const compileMs = performance.now() - t0;
t0 = performance.now();
expressionField(model);
const recompileMs = performance.now() - t0;
const hand = nbodyField({ bodies: 3, G: problem.G });

// mathjs interpreting the same model, definitions in order, then the equations.
const definitions = Object.entries(model.definitions ?? {}).map(([name, source]) => [name, math.compile(source)] as const);
const equations = model.states.map((name) => math.compile(model.equations[name]));
const scope = new Map<string, number>(Object.entries(model.constants ?? {}));
function mathjsF(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void {
  scope.set('t', t);
  model.states.forEach((name, i) => scope.set(name, y[i]));
  model.params.forEach((name, j) => scope.set(name, p[j]));
  for (const [name, code] of definitions) scope.set(name, code.evaluate(scope));
  for (let i = 0; i < equations.length; i++) out[i] = equations[i].evaluate(scope);
}

// ---------------------------------------------------------------------------------------------
// Agreement (the numbers below are only worth comparing if the three compute the same thing)

const fHand = new Float64Array(18);
const fCompiled = new Float64Array(18);
const fMathjs = new Float64Array(18);
hand.f(0, y, p, fHand);
compiled.f(0, y, p, fCompiled);
mathjsF(0, y, p, fMathjs);
const vjpHand = { y: new Float64Array(18), p: new Float64Array(3) };
const vjpCompiled = { y: new Float64Array(18), p: new Float64Array(3) };
hand.vjp!(0, y, p, a, vjpHand.y, vjpHand.p);
compiled.vjp(0, y, p, a, vjpCompiled.y, vjpCompiled.p);

// ---------------------------------------------------------------------------------------------
// Timing

const out = new Float64Array(18);
const outY = new Float64Array(18);
const outP = new Float64Array(3);
let sink = 0;
const fCalls = [
  () => { hand.f(0, y, p, out); sink += out[9]; },
  () => { compiled.f(0, y, p, out); sink += out[9]; },
  () => { mathjsF(0, y, p, out); sink += out[9]; },
];
const vjpCalls = [
  () => { hand.vjp!(0, y, p, a, outY, outP); sink += outY[0]; },
  () => { compiled.vjp(0, y, p, a, outY, outP); sink += outY[0]; },
];

const ROUNDS = 31;
const fNs = timeInterleaved(fCalls, ROUNDS);
const vjpNs = timeInterleaved(vjpCalls, ROUNDS);

console.log(`Node ${process.version}; median of ${ROUNDS} interleaved rounds, each a batch of >= 15 ms.`);
console.log(`three-body model: mathjs load ${loadMs.toFixed(0)} ms (once per process); ` +
  `compile ${compileMs.toFixed(1)} ms first, ${recompileMs.toFixed(1)} ms again ` +
  `(f source ${compiled.source.f.length} chars, VJP ${compiled.source.vjp.length} chars)`);
console.log(`agreement: compiled f vs hand-written ${relativeError(fCompiled, fHand).toExponential(1)}, ` +
  `vs mathjs ${relativeError(fCompiled, fMathjs).toExponential(1)}; compiled VJP vs hand-written ` +
  `${Math.max(relativeError(vjpCompiled.y, vjpHand.y), relativeError(vjpCompiled.p, vjpHand.p)).toExponential(1)}\n`);

table('right-hand side f', ['hand-written nbodyField', 'compiled expression', 'mathjs evaluate'], fNs);
console.log(`  compiled / hand-written time: ${(fNs[1] / fNs[0]).toFixed(2)} (goal <= 1.5)`);
console.log(`  mathjs / compiled time:       ${(fNs[2] / fNs[1]).toFixed(0)} (goal >= 20)\n`);
table('VJP (information)', ['hand-written nbodyField', 'compiled expression'], vjpNs);
console.log(`  compiled / hand-written time: ${(vjpNs[1] / vjpNs[0]).toFixed(2)}`);
if (!Number.isFinite(sink)) console.log('(non-finite checksum)');

// ---------------------------------------------------------------------------------------------

function table(title: string, names: string[], ns: number[]): void {
  console.log(title);
  console.log(`  ${'contender'.padEnd(26)}${'evals/s'.padStart(12)}${'ns/eval'.padStart(10)}${'time / hand'.padStart(13)}`);
  names.forEach((name, k) => {
    console.log(
      `  ${name.padEnd(26)}${(1e9 / ns[k]).toExponential(2).padStart(12)}${ns[k].toFixed(1).padStart(10)}` +
        `${(ns[k] / ns[0]).toFixed(2).padStart(13)}`,
    );
  });
}

/** Median nanoseconds per call of each function, measured in interleaved rounds. */
function timeInterleaved(fns: (() => void)[], rounds: number, batchMs = 15): number[] {
  const batch = fns.map((fn) => {
    for (let n = 1; ; n *= 2) {
      const t = performance.now();
      for (let i = 0; i < n; i++) fn();
      if (performance.now() - t >= batchMs || n >= 1 << 24) return n;
    }
  });
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const t = performance.now();
      for (let i = 0; i < batch[k]; i++) fn();
      samples[k].push(((performance.now() - t) * 1e6) / batch[k]);
    });
  }
  return samples.map((xs) => xs.sort((u, v) => u - v)[xs.length >> 1]);
}

function relativeError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}
