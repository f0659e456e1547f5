/**
 * Events (solvers/events.ts): located on the dense interpolant, against closed forms (a falling
 * and a bouncing ball, the zeros of cos t), the sampling that finds two roots in one step, a
 * three-body close encounter against a fine fixed-step reference, and the option errors.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, nbodyField, solve } from '../../src/index.ts';
import type { Field } from '../../src/fields/field.ts';
import type { EventSpec } from '../../src/solvers/events.ts';
import { loadProblem, type FigureEight } from '../helpers/problems.ts';

const ball: Field = {
  dim: 2,
  nParams: 2,
  f(_t, y, p, out) {
    out[0] = y[1];
    out[1] = -p[0];
  },
};
const H = 10;
const G = 9.81;
const E = 0.8;
const hit = (terminal: boolean | number, bounce = false): EventSpec => ({
  name: 'hit',
  g: (_t, y) => y[0],
  direction: 'down',
  terminal,
  ...(bounce ? { reset: (_t: number, y: Float64Array, p: Float64Array, out: Float64Array) => ((out[0] = y[0]), (out[1] = -p[1] * y[1])) } : {}),
});

/** x'' = -x from (1, 0): x = cos t. */
const oscillator: Field = {
  dim: 2,
  nParams: 0,
  f(_t, y, _p, out) {
    out[0] = y[1];
    out[1] = -y[0];
  },
};

describe('falling and bouncing ball', () => {
  for (const [method, extra] of [['dopri5', {}], ['tsit5', {}], ['bosh3', {}], ['dopri8', {}], ['rk4', { dt: 0.1 }]] as const) {
    it(`${method}: stops at t* = sqrt(2h/g) with y = 0, v = -g t*`, () => {
      const sol = solve(ball, [H, 0], { t0: 0, t1: 10, method, ...extra, params: [G, E], save: 'steps', events: [hit(true)] });
      const tStar = Math.sqrt((2 * H) / G);
      expect(sol.terminated).toBe(true);
      expect(sol.events).toHaveLength(1);
      expect(Math.abs(sol.events[0].t - tStar)).toBeLessThan(1e-13);
      expect(sol.ts[sol.ts.length - 1]).toBe(sol.events[0].t);
      const d = 2;
      const last = sol.ys.subarray((sol.ts.length - 1) * d);
      expect(Math.abs(last[0])).toBeLessThan(1e-12);
      expect(last[1]).toBeCloseTo(-G * tStar, 12);
    });
  }

  it('five bounces with restitution e: impact times and speeds of the closed form', () => {
    const sol = solve(ball, [H, 0], { t0: 0, t1: 100, params: [G, E], events: [hit(5, true)], save: 'dense' });
    const T = Math.sqrt((2 * H) / G);
    expect(sol.events).toHaveLength(5);
    let tk = T;
    sol.events.forEach((e, k) => {
      if (k > 0) tk += 2 * T * E ** k;
      expect(Math.abs(e.t - tk)).toBeLessThan(1e-12);
      expect(e.y[1]).toBeCloseTo(-(E ** k) * Math.sqrt(2 * G * H), 10);
      if (k < 4) expect(e.yAfter![1]).toBeCloseTo(E ** (k + 1) * Math.sqrt(2 * G * H), 10);
    });
    // Between bounces the dense solution is the parabola; at an impact time it is the state after the reset.
    const mid = (sol.events[1].t + sol.events[2].t) / 2;
    const apexHeight = (E ** 4 * 2 * G * H) / (2 * G);
    expect(sol.at(mid)[0]).toBeCloseTo(apexHeight, 10);
    expect(sol.at(sol.events[1].t)[1]).toBeCloseTo(E ** 2 * Math.sqrt(2 * G * H), 10);
    expect(sol.ts[sol.ts.length - 1]).toBe(sol.events[4].t);
  });
});

describe('directions and counts', () => {
  const zeros = [Math.PI / 2, (3 * Math.PI) / 2, (5 * Math.PI) / 2];
  const options = { t0: 0, t1: 10, rtol: 1e-10, atol: 1e-12 };
  const cosine = (direction: 'up' | 'down' | 'both', terminal: boolean | number = false): EventSpec => ({ name: direction, g: (_t, y) => y[0], direction, terminal });

  it("'both', 'down' and 'up' pick the zeros of cos t by the sign of the crossing", () => {
    const sol = solve(oscillator, [1, 0], { ...options, events: [cosine('both'), cosine('down'), cosine('up')] });
    const by = (name: string) => sol.events.filter((e) => e.name === name).map((e) => e.t);
    const close = (got: number[], want: number[]) => {
      expect(got).toHaveLength(want.length);
      got.forEach((t, k) => expect(Math.abs(t - want[k])).toBeLessThan(1e-8));
    };
    close(by('both'), zeros);
    close(by('down'), [zeros[0], zeros[2]]);
    close(by('up'), [zeros[1]]);
    expect(sol.terminated).toBe(false);
    expect(sol.t[sol.t.length - 1]).toBe(10);
  });

  it('terminal: N ends the solve at the N-th occurrence; outputs after it are not returned', () => {
    const sol = solve(oscillator, [1, 0], { ...options, times: [1, 2, 3, 4, 5, 6], events: [cosine('both', 2)] });
    expect(sol.events.map((e) => e.terminated)).toEqual([false, true]);
    expect(Math.abs(sol.events[1].t - zeros[1])).toBeLessThan(1e-8);
    expect(Array.from(sol.t)).toEqual([1, 2, 3, 4]);
    expect(sol.y[3 * 2]).toBeCloseTo(Math.cos(4), 8);
  });

  it('two roots inside one step are found by sampling the interpolant (and missed with one sample)', () => {
    // y' = 1 is integrated exactly, so the solver takes one step over [0, 1]; g = (y - 0.3)(y - 0.6)
    // has two roots inside it, a quarter step apart.
    const line: Field = { dim: 1, nParams: 0, f: (_t, _y, _p, out) => void (out[0] = 1) };
    const g: EventSpec = { name: 'band', g: (_t, y) => (y[0] - 0.3) * (y[0] - 0.6) };
    const base = { t0: 0, t1: 1, firstStep: 1, events: [g] };
    const sampled = solve(line, [0], base);
    expect(sampled.stats.accepted).toBe(1);
    expect(sampled.events.map((e) => e.t)).toHaveLength(2);
    expect(sampled.events[0].t).toBeCloseTo(0.3, 14);
    expect(sampled.events[1].t).toBeCloseTo(0.6, 14);
    expect(solve(line, [0], { ...base, eventSamples: 1 }).events).toHaveLength(0);
  });
});

describe('resets', () => {
  // y' = 1 with y -> 0 at y = 0.7: a sawtooth whose teeth end at t = 0.7 k.
  const line: Field = { dim: 1, nParams: 0, f: (_t, _y, _p, out) => void (out[0] = 1) };
  const tooth: EventSpec = { name: 'tooth', g: (_t, y) => y[0] - 0.7, direction: 'up', reset: (_t, _y, _p, out) => void (out[0] = 0) };

  it('a sawtooth: events every 0.7, the dense solution restarts from the reset', () => {
    const sol = solve(line, [0], { t0: 0, t1: 3, save: 'dense', events: [tooth] });
    expect(sol.events.map((e) => e.t).map((t) => Math.round(t * 1e12) / 1e12)).toEqual([0.7, 1.4, 2.1, 2.8]);
    sol.events.forEach((e) => expect(e.yAfter![0]).toBe(0));
    expect(sol.at(1.0)[0]).toBeCloseTo(0.3, 12);
    expect(sol.at(2.9)[0]).toBeCloseTo(0.1, 12);
    expect(sol.ts[sol.ts.length - 1]).toBe(3);
  });

  it('a root exactly at t1 with a reset ends the solve at t1', () => {
    const sol = solve(line, [0.3], { t0: 0, t1: 0.4, save: 'steps', events: [{ ...tooth, g: (_t, y) => y[0] - 0.7 }] });
    expect(sol.events).toHaveLength(1);
    expect(sol.events[0].t).toBe(0.4);
    expect(sol.ts[sol.ts.length - 1]).toBe(0.4);
  });
});

describe('a close encounter in a three-body run', () => {
  const P = loadProblem<FigureEight>('three_body_figure_eight');
  const field = nbodyField({ bodies: 3 });
  const r = 0.8;
  /** Bodies 0 and 1 closer than r: |x0 - x1|^2 - r^2 crosses 0 downwards. */
  const gClose = (y: ArrayLike<number>) => (y[0] - y[3]) ** 2 + (y[1] - y[4]) ** 2 + (y[2] - y[5]) ** 2 - r * r;
  const close: EventSpec = { name: 'close', g: (_t, y) => gClose(y), direction: 'down' };

  /** Fine fixed-step RK4 (dt = T / 20000), cubic Hermite between its steps, bisection on g. */
  function reference(): number[] {
    const sol = solve(field, P.y0, { t0: 0, t1: P.period, method: 'rk4', dt: P.period / 20000, params: P.masses, save: 'steps' });
    const d = 18;
    const p = Float64Array.from(P.masses);
    const f0 = new Float64Array(d);
    const f1 = new Float64Array(d);
    const y = new Float64Array(d);
    const found: number[] = [];
    for (let k = 0; k + 1 < sol.ts.length; k++) {
      const ya = sol.ys.subarray(k * d, (k + 1) * d);
      const yb = sol.ys.subarray((k + 1) * d, (k + 2) * d);
      if (!(gClose(ya) > 0 && gClose(yb) <= 0)) continue;
      const ta = sol.ts[k];
      const h = sol.ts[k + 1] - ta;
      field.f(ta, ya, p, f0);
      field.f(ta + h, yb, p, f1);
      const hermite = (s: number) => {
        const h00 = 2 * s ** 3 - 3 * s ** 2 + 1, h10 = s ** 3 - 2 * s ** 2 + s, h01 = -2 * s ** 3 + 3 * s ** 2, h11 = s ** 3 - s ** 2;
        for (let i = 0; i < d; i++) y[i] = h00 * ya[i] + h10 * h * f0[i] + h01 * yb[i] + h11 * h * f1[i];
        return gClose(y);
      };
      let lo = 0;
      let hi = 1;
      for (let it = 0; it < 60; it++) {
        const mid = (lo + hi) / 2;
        if (hermite(mid) > 0) lo = mid;
        else hi = mid;
      }
      found.push(ta + ((lo + hi) / 2) * h);
    }
    return found;
  }

  it('dopri5 and tsit5 at 1e-10 find the encounters of one period within 1e-8 of the reference', () => {
    const want = reference();
    expect(want.length).toBeGreaterThanOrEqual(2);
    for (const method of ['dopri5', 'tsit5']) {
      const sol = solve(field, P.y0, { t0: 0, t1: P.period, method, params: P.masses, rtol: 1e-10, atol: 1e-10, events: [close] });
      expect(sol.events.map((e) => e.name)).toEqual(want.map(() => 'close'));
      sol.events.forEach((e, k) => {
        expect(Math.abs(e.t - want[k])).toBeLessThan(1e-8);
        expect(Math.abs(gClose(e.y))).toBeLessThan(1e-12);
      });
    }
  });

  it('a terminal encounter ends the run there', () => {
    const sol = solve(field, P.y0, { t0: 0, t1: P.period, params: P.masses, rtol: 1e-10, atol: 1e-10, events: [{ ...close, terminal: true }], save: 'steps' });
    expect(sol.terminated).toBe(true);
    expect(sol.events).toHaveLength(1);
    expect(sol.ts[sol.ts.length - 1]).toBe(sol.events[0].t);
    expect(sol.events[0].t).toBeLessThan(P.period);
  });
});

describe('errors', () => {
  const thrown = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as InvalidArgumentError;
    }
    throw new Error('expected an error');
  };
  it('names the event option at fault', () => {
    const cases: [unknown, string][] = [
      [[{ name: 'a', g: 1 }], 'events[0].g'],
      [[{ name: 'a', g: () => 0, direction: 'sideways' }], 'events[0].direction'],
      [[{ name: 'a', g: () => 0, terminal: 0 }], 'events[0].terminal'],
      [[{ name: 'a', g: () => 0 }, { name: 'a', g: () => 0 }], 'events[1].name'],
      [[{ name: 'a', g: () => 0, reset: 'bounce' }], 'events[0].reset'],
    ];
    for (const [events, argument] of cases) {
      const e = thrown(() => solve(oscillator, [1, 0], { t0: 0, t1: 1, events: events as EventSpec[] }));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.argument).toBe(argument);
    }
    expect(thrown(() => solve(oscillator, [1, 0], { t0: 0, t1: 1, events: [hit(true)], eventSamples: 0 })).argument).toBe('eventSamples');
  });
});
