/**
 * Gradients through events (ACA, gradients/event-adjoint.ts): against closed forms (a falling
 * ball's impact time, a bouncing ball's fifth impact) and against central finite differences of
 * the discrete map with the accepted steps held fixed (tests/helpers/event-replay.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Field } from '../../src/fields/field.ts';
import type { EventLoss } from '../../src/gradients/event-adjoint.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import type { EventSpec } from '../../src/solvers/events.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { replayEvents } from '../helpers/event-replay.ts';

/** y'' = -g (params [g, e]); e is the restitution of the bounce. */
const ball: Field = {
  dim: 2,
  nParams: 2,
  f(_t, y, p, out) {
    out[0] = y[1];
    out[1] = -p[0];
  },
  vjp(_t, _y, _p, a, outY, outP) {
    outY[0] = 0;
    outY[1] = a[0];
    outP[0] -= a[1];
  },
};

const ground = (terminal: boolean | number, bounce: boolean): EventSpec => ({
  name: 'ground',
  g: (_t, y) => y[0],
  direction: 'down',
  terminal,
  gradient(_t, _y, _p, gy, gp) {
    gy[0] = 1;
    gy[1] = 0;
    gp.fill(0);
    return 0;
  },
  ...(bounce
    ? {
        reset(_t: number, y: Float64Array, p: Float64Array, out: Float64Array) {
          out[0] = y[0];
          out[1] = -p[1] * y[1];
        },
        resetVjp(_t: number, y: Float64Array, p: Float64Array, a: Float64Array, outY: Float64Array, outP: Float64Array) {
          outY[0] = a[0];
          outY[1] = -p[1] * a[1];
          outP[1] -= a[1] * y[1];
          return 0;
        },
      }
    : {}),
});

const H = 10;
const G = 9.81;
const E = 0.8;

describe('a falling ball stopped at y = 0', () => {
  const tStar = Math.sqrt((2 * H) / G);
  const timeLoss: EventLoss = (events, gradT) => {
    gradT[0] = 1;
    return events[0].t;
  };
  for (const [method, extra] of [['dopri5', {}], ['tsit5', {}], ['bosh3', {}], ['rk4', { dt: 0.05 }]] as const) {
    it(`${method}: t* = sqrt(2h/g), dt*/dg = -t*/(2g), dt*/dh = 1/(g t*), dt*/dv0 = 1/g`, () => {
      const r = gradient(ball, [H, 0], {
        t0: 0,
        t1: 5,
        method,
        ...extra,
        params: [G, E],
        rtol: 1e-8,
        atol: 1e-10,
        events: [ground(true, false)],
        eventLoss: timeLoss,
      });
      expect(r.events).toHaveLength(1);
      // y'' = const is integrated exactly by every method of order >= 2: only rounding remains.
      expect(Math.abs(r.loss - tStar)).toBeLessThan(1e-13);
      expect(r.dp[0]).toBeCloseTo(-tStar / (2 * G), 12);
      expect(r.dp[1]).toBe(0);
      expect(r.dy0[0]).toBeCloseTo(1 / (G * tStar), 12);
      expect(r.dy0[1]).toBeCloseTo(1 / G, 12);
    });
  }
});

describe('a bouncing ball, five impacts, restitution e', () => {
  // t_1 = T = sqrt(2h/g), t_k = T (1 + 2 sum_{j=1}^{k-1} e^j); the speed at impact k is
  // e^(k-1) sqrt(2 g h).
  const T = Math.sqrt((2 * H) / G);
  let t5 = T;
  let dt5de = 0;
  for (let j = 1; j <= 4; j++) {
    t5 += 2 * T * E ** j;
    dt5de += 2 * T * j * E ** (j - 1);
  }
  const v5 = -(E ** 4) * Math.sqrt(2 * G * H);
  const options = {
    t0: 0,
    t1: 100,
    params: [G, E],
    rtol: 1e-8,
    atol: 1e-10,
    events: [ground(5, true)],
  };

  it('impact times and speeds match the closed form; the solve ends at the fifth', () => {
    const r = gradient(ball, [H, 0], {
      ...options,
      eventLoss: (events, gradT) => {
        gradT[4] = 1;
        return events[4].t;
      },
    });
    expect(r.events.map((e) => e.name)).toEqual(Array(5).fill('ground'));
    for (let k = 0; k < 5; k++) {
      let tk = T;
      for (let j = 1; j < k + 1; j++) tk += 2 * T * E ** j;
      expect(Math.abs(r.events[k].t - tk)).toBeLessThan(1e-12);
      expect(r.events[k].y[1]).toBeCloseTo(-(E ** k) * Math.sqrt(2 * G * H), 10);
      expect(r.events[k].cut).toBe(true);
      expect(r.events[k].terminated).toBe(k === 4);
    }
    expect(Math.abs(r.loss - t5)).toBeLessThan(1e-12);
    expect(r.dp[1]).toBeCloseTo(dt5de, 10);
    expect(r.dp[0]).toBeCloseTo(-t5 / (2 * G), 12);
    expect(r.dy0[0]).toBeCloseTo(t5 / (2 * H), 12);
  });

  it('the gradient of the fifth impact speed w.r.t. e and g', () => {
    const r = gradient(ball, [H, 0], {
      ...options,
      eventLoss: (events, _gradT, gradY) => {
        gradY[4 * 2 + 1] = 1;
        return events[4].y[1];
      },
    });
    expect(r.loss).toBeCloseTo(v5, 10);
    expect(r.dp[1]).toBeCloseTo((4 * v5) / E, 9);
    expect(r.dp[0]).toBeCloseTo(v5 / (2 * G), 10);
  });
});

/**
 * A ball with quadratic drag over a moving, parametrised floor: y' = v, v' = -g - k v |v|,
 * params [g, k, e, floor, climb]; the floor is at floor + climb t (so g has dg/dt and dg/dp),
 * an apex event (v = 0, recorded only) rides along. No closed form: central differences of the
 * discrete map with the steps held fixed.
 */
const dragBall: Field = {
  dim: 2,
  nParams: 5,
  f(_t, y, p, out) {
    out[0] = y[1];
    out[1] = -p[0] - p[1] * y[1] * Math.abs(y[1]);
  },
  vjp(_t, y, p, a, outY, outP) {
    outY[0] = 0;
    outY[1] = a[0] - a[1] * 2 * p[1] * Math.abs(y[1]);
    outP[0] -= a[1];
    outP[1] -= a[1] * y[1] * Math.abs(y[1]);
  },
};
const floor: EventSpec = {
  name: 'floor',
  g: (t, y, p) => y[0] - p[3] - p[4] * t,
  direction: 'down',
  terminal: 4,
  gradient(_t, _y, _p, gy, gp) {
    gy[0] = 1;
    gy[1] = 0;
    gp.fill(0);
    gp[3] = -1;
    gp[4] = -_t;
    return -_p[4];
  },
  reset(_t, y, p, out) {
    out[0] = y[0];
    out[1] = -p[2] * y[1];
  },
  resetVjp(_t, y, p, a, outY, outP) {
    outY[0] = a[0];
    outY[1] = -p[2] * a[1];
    outP[2] -= a[1] * y[1];
    return 0;
  },
};
const apex: EventSpec = {
  name: 'apex',
  g: (_t, y) => y[1],
  direction: 'down',
  gradient(_t, _y, _p, gy, gp) {
    gy[0] = 0;
    gy[1] = 1;
    gp.fill(0);
    return 0;
  },
};

describe('central differences of the discrete map', () => {
  const y0 = [3, 1.5];
  const params = [9.81, 0.05, 0.7, 0.2, 0.03];
  const events = [floor, apex];
  // A loss on every event time and on the states at them.
  const loss: EventLoss = (ev, gradT, gradY) => {
    let L = 0;
    ev.forEach((e, k) => {
      const wt = 1 + 0.1 * k;
      L += wt * e.t + 0.3 * e.y[0] - 0.2 * e.y[1];
      gradT[k] = wt;
      gradY[2 * k] = 0.3;
      gradY[2 * k + 1] = -0.2;
    });
    return L;
  };

  for (const [method, keepStages] of [['dopri5', true], ['dopri5', false], ['tsit5', 'auto'], ['bosh3', false]] as const) {
    it(`${method}, keepStages ${keepStages}: ACA = central differences to 1e-7`, () => {
      const r = gradient(dragBall, y0, {
        t0: 0,
        t1: 50,
        method,
        params,
        rtol: 1e-6,
        atol: 1e-8,
        events,
        eventLoss: loss,
        gradient: { method: 'aca', keepStages },
      });
      const names = r.events.map((e) => e.name);
      expect(names.filter((n) => n === 'floor')).toHaveLength(4);
      expect(names.filter((n) => n === 'apex').length).toBeGreaterThanOrEqual(4);
      const steps = r.acceptedSteps!;
      const L = (yy: number[], pp: number[]) => {
        const ev = replayEvents(dragBall, method, yy, pp, 0, steps.h, events, r.events);
        const gT = new Float64Array(ev.length);
        const gY = new Float64Array(2 * ev.length);
        return loss(ev.map((e, k) => ({ ...r.events[k], t: e.t, y: e.y })), gT, gY);
      };
      expect(L(y0, params)).toBeCloseTo(r.loss, 9);
      expect(centralDifferenceError(L, y0, params, r)).toBeLessThan(1e-7);
    });
  }
});

describe('outputs after resets: central differences of the discrete map', () => {
  // Output times between and after the bounces move relative to the steps, whose start times
  // follow the impact times; the last step lands on t1 (and on every output with landOnOutputs).
  const y0 = [3, 1.5];
  const params = [9.81, 0.05, 0.7, 0.2, 0.03];
  const bouncing: EventSpec = { ...floor, terminal: false };
  const events = [bouncing, apex];
  const times = Array.from({ length: 12 }, (_, k) => 0.37 + 0.5 * k);
  const t1 = times[times.length - 1];
  const outputLoss = (y: Float64Array, g: Float64Array) => {
    let L = 0;
    for (let k = 0; k < times.length; k++) {
      L += y[2 * k] ** 2 + 0.5 * y[2 * k + 1];
      g[2 * k] = 2 * y[2 * k];
      g[2 * k + 1] = 0.5;
    }
    return L;
  };
  const eventLoss: EventLoss = (ev, gradT, gradY) => {
    let L = 0;
    ev.forEach((e, k) => {
      L += (1 + 0.1 * k) * e.t + 0.3 * e.y[1];
      gradT[k] = 1 + 0.1 * k;
      gradY[2 * k + 1] = 0.3;
    });
    return L;
  };
  const cases = [
    ['dopri5', { gradient: { method: 'aca' as const, keepStages: true } }],
    ['dopri5', { gradient: { method: 'aca' as const, keepStages: false } }],
    ['dopri5', { landOnOutputs: true }],
    ['tsit5', {}],
    ['bosh3', {}],
    ['rk4', { dt: 0.05 }],
  ] as const;
  for (const [method, extra] of cases) {
    it(`${method} ${JSON.stringify(extra)}: ACA = central differences to 1e-7`, () => {
      const r = gradient(dragBall, y0, {
        times,
        t0: 0,
        method,
        params,
        rtol: 1e-6,
        atol: 1e-8,
        events,
        loss: (y, _t, g) => outputLoss(y, g),
        eventLoss,
        ...extra,
      });
      expect(r.events.filter((e) => e.name === 'floor').length).toBeGreaterThanOrEqual(3);
      const steps = r.acceptedSteps!;
      const landOn = 'landOnOutputs' in extra || method === 'rk4';
      const L = (yy: number[], pp: number[]) => {
        const out = new Float64Array(times.length * 2);
        const ev = replayEvents(dragBall, method, yy, pp, 0, steps.h, events, r.events, {
          times,
          targets: landOn ? times : [t1],
          stepT: steps.t,
          out,
        });
        const gT = new Float64Array(ev.length);
        const gY = new Float64Array(2 * ev.length);
        return outputLoss(out, new Float64Array(out.length)) + eventLoss(ev.map((e, k) => ({ ...r.events[k], t: e.t, y: e.y })), gT, gY);
      };
      expect(L(y0, params)).toBeCloseTo(r.loss, 9);
      expect(centralDifferenceError(L, y0, params, r)).toBeLessThan(1e-7);
    });
  }
});

describe('what event gradients refuse', () => {
  const base = { t0: 0, t1: 5, params: [G, E], eventLoss: ((ev, gT) => ((gT[0] = 1), ev[0].t)) as EventLoss };

  it('a method other than ACA', () => {
    const e = catchError(() => gradient(ball, [H, 0], { ...base, events: [ground(true, false)], gradient: { method: 'naive' } }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as InvalidArgumentError).argument).toBe('gradient.method');
  });

  it('an event without its gradient', () => {
    const { gradient: _, ...noGradient } = ground(true, false);
    const e = catchError(() => gradient(ball, [H, 0], { ...base, events: [noGradient as EventSpec] }));
    expect((e as InvalidArgumentError).argument).toBe('events[0].gradient');
  });

  it('output times the terminal event does not reach', () => {
    const e = catchError(() => gradient(ball, [H, 0], { ...base, times: [1, 4], events: [ground(true, false)], loss: () => 0 }));
    expect((e as InvalidArgumentError).argument).toBe('times[1]');
    expect(String((e as Error).message)).toContain('ended it at t = 1.42784');
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

/**
 * |central differences of L (in params, then y0) - (r.dp, r.dy0)| / |central differences|, with a
 * step of 1e-6 relative: the gradient against the same discrete map, replayed.
 */
function centralDifferenceError(
  L: (y0: number[], params: number[]) => number,
  y0: number[],
  params: number[],
  r: { readonly dp: ArrayLike<number>; readonly dy0: ArrayLike<number> },
): number {
  const fd: number[] = [];
  const ad: number[] = [];
  const difference = (values: number[], i: number, at: (v: number[]) => number) => {
    const eps = 1e-6 * Math.max(1, Math.abs(values[i]));
    const plus = [...values];
    const minus = [...values];
    plus[i] += eps;
    minus[i] -= eps;
    return (at(plus) - at(minus)) / (2 * eps);
  };
  params.forEach((_, q) => {
    fd.push(difference(params, q, (p) => L(y0, p)));
    ad.push(r.dp[q]);
  });
  y0.forEach((_, i) => {
    fd.push(difference(y0, i, (y) => L(y, params)));
    ad.push(r.dy0[i]);
  });
  let num = 0;
  let den = 0;
  for (let q = 0; q < fd.length; q++) {
    num += (fd[q] - ad[q]) ** 2;
    den += fd[q] ** 2;
  }
  return Math.sqrt(num / den);
}
