/**
 * Events in specs (spec/events.ts): the bouncing-ball example's events and its observed-time loss
 * with its gradient against the closed form; an event using t and a parameter against the same
 * event written by hand; spec errors by path; and `aca solve` / `aca grad` output.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { evaluateProblem, initialTheta } from '../../src/fit/objective.ts';
import { SpecError } from '../../src/spec/errors.ts';
import { loadProblem, parseSpec } from '../../src/spec/load.ts';
import { buildProblem } from '../../src/spec/problem.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BALL = join(ROOT, 'data/bouncing_ball.yaml');

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Impact times of a ball dropped from h: t_n = T (1 + 2 sum_{j=1}^{n-1} k^j), T = sqrt(2h/g). */
function impacts(h: number, g: number, k: number, n: number) {
  const T = Math.sqrt((2 * h) / g);
  const t: number[] = [];
  const dk: number[] = [];
  let tn = T;
  let dtn = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      tn += 2 * T * k ** i;
      dtn += 2 * T * i * k ** (i - 1);
    }
    t.push(tn);
    dk.push(dtn);
  }
  return { t, dg: t.map((x) => -x / (2 * g)), dk };
}

describe('data/bouncing_ball.yaml', () => {
  it('the observed-time loss and its gradient in g and k are the closed form', async () => {
    const { problem } = await loadProblem(BALL);
    expect(problem.events.map((e) => e.name)).toEqual(['hit']);
    const observed = impacts(10, 9.81, 0.8, 5).t;
    const at = impacts(10, 9.0, 0.7, 5);
    let loss = 0;
    let dg = 0;
    let dk = 0;
    at.t.forEach((t, n) => {
      const r = t - observed[n];
      loss += r * r;
      dg += 2 * r * at.dg[n];
      dk += 2 * r * at.dk[n];
    });
    const { f, result } = evaluateProblem(problem, initialTheta(problem));
    expect(result.events).toHaveLength(5);
    expect(f).toBeCloseTo(loss, 11);
    expect(result.dp[0]).toBeCloseTo(dg, 9);
    expect(result.dp[1]).toBeCloseTo(dk, 9);
  });

  it('aca solve: a row per event in the CSV, events in the JSON; aca grad reports the gradient', async () => {
    const csv = await run('solve', BALL);
    expect(csv.code).toBe(0);
    const table = csv.stdout.trim().split('\n');
    expect(table[0]).toBe('t,y,v,event');
    const hits = table.filter((line) => line.endsWith(',hit'));
    expect(hits).toHaveLength(5);
    const T = impacts(10, 9.0, 0.7, 5).t;
    hits.forEach((line, n) => expect(Number(line.split(',')[0])).toBeCloseTo(T[n], 12));
    expect(table[table.length - 1].endsWith(',hit')).toBe(true); // the fifth ends the solve

    const json = JSON.parse((await run('solve', BALL, '--format', 'json')).stdout);
    expect(json.terminated).toBe(true);
    expect(json.events).toHaveLength(5);
    expect(json.events[0].yAfter[1]).toBeCloseTo(0.7 * Math.sqrt(2 * 9 * 10), 10);
    expect(json.events[4].yAfter).toBeUndefined();

    const check = await run('check', BALL);
    expect(check.stdout).toContain('events: hit (observed times: hit: 5)');

    const grad = await run('grad', BALL);
    expect(grad.code).toBe(0);
    expect(Object.keys(JSON.parse(grad.stdout).gradient)).toEqual(['params.g', 'params.k']);
  });
});

describe('fitting event times', () => {
  it('aca fit recovers g = 9.81 and k = 0.8 from the five observed impact times (no data file)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'aca-events-'));
    const { code } = await run('fit', BALL, '--out', out, '--quiet');
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.fitted['params.g'].value).toBeCloseTo(9.81, 6);
    expect(report.fitted['params.k'].value).toBeCloseTo(0.8, 6);
  });
});

describe('expressions with t and parameters', () => {
  // A rising floor: g = y - (f0 + c t) uses t and parameters, so dg/dt and dg/dp are not 0.
  const spec = {
    model: { states: ['y', 'v'], params: ['g', 'f0', 'c'], equations: { y: 'v', v: '-g' } },
    initial: { y: 10, v: 0 },
    params: { g: 9.81, f0: 1, c: 0.5 },
    t0: 0,
    t1: 10,
    events: { floor: { when: 'y - (f0 + c*t)', direction: 'down', terminal: true, observed: [1.0] } },
  };

  it('the compiled g and its gradient equal the hand-written ones', () => {
    const problem = buildProblem(parseSpec(spec));
    const [floor] = problem.events;
    const y = Float64Array.of(3, -2);
    const p = Float64Array.of(9.81, 1, 0.5);
    expect(floor.g(2, y, p)).toBeCloseTo(3 - (1 + 0.5 * 2), 15);
    const gy = new Float64Array(2);
    const gp = new Float64Array(3).fill(7);
    const gt = floor.gradient!(2, y, p, gy, gp);
    expect(gt).toBe(-0.5);
    expect(Array.from(gy)).toEqual([1, 0]);
    expect(Array.from(gp)).toEqual([0, -1, -2]);
  });

  it('the event time and its gradient: y(t) = 10 - g t^2/2 meets f0 + c t', () => {
    const problem = buildProblem(parseSpec(spec));
    const { f, result } = evaluateProblem(problem, initialTheta(problem));
    // g t^2/2 + c t + f0 - 10 = 0
    const [g, f0, c] = [9.81, 1, 0.5];
    const t = (-c + Math.sqrt(c * c + 2 * g * (10 - f0))) / g;
    const r = t - 1;
    expect(result.events[0].t).toBeCloseTo(t, 13);
    expect(f).toBeCloseTo(r * r, 13);
    // Implicit differentiation of G = g t^2/2 + c t + f0 - 10: dt/dq = -(dG/dq) / (dG/dt).
    const dGdt = g * t + c;
    expect(result.dp[0]).toBeCloseTo((2 * r * -(t * t / 2)) / dGdt, 11);
    expect(result.dp[1]).toBeCloseTo((2 * r * -1) / dGdt, 11);
    expect(result.dp[2]).toBeCloseTo((2 * r * -t) / dGdt, 11);
    expect(result.dy0[0]).toBeCloseTo((2 * r * 1) / dGdt, 11);
  });
});

describe('spec errors', () => {
  const base = {
    model: { states: ['y', 'v'], params: ['g'], equations: { y: 'v', v: '-g' } },
    initial: { y: 1, v: 0 },
    params: { g: 9.81 },
    t1: 2,
  };
  const issues = (events: unknown) => {
    try {
      buildProblem(parseSpec({ ...base, events }));
    } catch (error) {
      expect(error).toBeInstanceOf(SpecError);
      return (error as Error).message;
    }
    throw new Error('expected a SpecError');
  };
  it('names the entry at fault', () => {
    expect(issues({ hit: { when: 'z' } })).toMatch(/events\.hit\.when: .*unknown symbol 'z'/);
    expect(issues({ hit: { when: 'y', reset: { w: '0' } } })).toMatch(/events\.hit\.reset\.w: 'w' is not a state/);
    expect(issues({ hit: { when: 'y', reset: { v: '-q*v' } } })).toMatch(/events\.hit\.reset\.v: .*unknown symbol 'q'/);
    expect(issues({ hit: { when: 'y', direction: 'sideways' } })).toMatch(/events\.hit\.direction/);
    expect(issues({ hit: { when: 'y', terminal: 0 } })).toMatch(/events\.hit\.terminal/);
    expect(() => buildProblem(parseSpec({ ...base, solver: { eventSamples: 0 } }))).toThrow(/solver\.eventSamples/);
  });

  it('solver.eventSamples reaches the solve: one sample per step misses a hop inside a step', () => {
    // y' = 1 from 0 in one step over [0, 1]: g = (y - 0.3)(y - 0.6) has two roots in it.
    const spec = {
      model: { states: ['y'], params: [], equations: { y: '1' } },
      initial: { y: 0 },
      t0: 0,
      t1: 1,
      solver: { firstStep: 1 },
      events: { band: { when: '(y - 0.3)*(y - 0.6)', observed: [0.3, 0.6] } },
    };
    const sampled = evaluateProblem(buildProblem(parseSpec(spec)), []);
    expect(sampled.result.events.map((e) => e.t)).toEqual([expect.closeTo(0.3, 14), expect.closeTo(0.6, 14)]);
    expect(() => evaluateProblem(buildProblem(parseSpec({ ...spec, solver: { firstStep: 1, eventSamples: 1 } })), [])).toThrow(/eventLoss value/);
  });
});
