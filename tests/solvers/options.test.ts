/**
 * Solver options: tolerances (scalar and per component), step bounds, landing on t1 and on the
 * output times, backwards integration, the integral and PI controllers, and the statistics.
 */
import { describe, expect, it } from 'vitest';
import {
  getMethod,
  linearField,
  METHOD_NAMES,
  solve,
  StepSizeUnderflowError,
  type Field,
  type SolveOptions,
} from '../../src/index.ts';
import { Integrator, Landing } from '../../src/solvers/integrator.ts';
import { resolveOptions } from '../../src/solvers/options.ts';
import { ARENSTORF, arenstorfField, expSin, kepler, maxAbsDiff, rotation, type ClosedForm } from './closed-forms.ts';

/** Runs a solve and returns its integrator, to see where it stopped. */
function integrate(field: Field, y0: number[], options: SolveOptions): Integrator {
  const integrator = new Integrator(field, resolveOptions(field, y0, options));
  integrator.run(y0);
  return integrator;
}

/** Records every attempt (signed step, proposal, error norms, outcome) and every accepted step. */
function recordSteps(P: ClosedForm, options: SolveOptions) {
  const attempts: { t: number; h: number; hProposed: number; err: number; errPrev: number; accepted: boolean; landing: Landing }[] = [];
  const accepted: { t: number; h: number }[] = [];
  const sol = solve(P.field, P.y0, { params: P.params, ...options }, {
    attempt: (it) =>
      void attempts.push({ t: it.t, h: it.h, hProposed: it.hProposed, err: it.err, errPrev: it.errPrev, accepted: it.accepted, landing: it.landing }),
    accepted: ({ t, h }) => void accepted.push({ t, h }),
  });
  return { sol, attempts, accepted };
}

describe('tolerances', () => {
  // Two uncoupled components: y0' = cos(t) y0 and a tiny, faster y1' = 3 cos(3t) y1.
  const twoScales: Field = {
    dim: 2,
    nParams: 0,
    f(t, y, _p, out) {
      out[0] = Math.cos(t) * y[0];
      out[1] = 3 * Math.cos(3 * t) * y[1];
    },
  };
  const y0 = [1, 1e-8];
  const exact = (t: number) => [Math.exp(Math.sin(t)), 1e-8 * Math.exp(Math.sin(3 * t))];
  const relativeErrors = (y: Float64Array, t: number) => exact(t).map((e, i) => Math.abs(y[i] - e) / e);

  it('a per-component tolerance equal to the scalar one gives the identical solve', () => {
    const scalar = solve(twoScales, y0, { times: [0, 2, 5], rtol: 1e-7, atol: 1e-9 });
    const perComponent = solve(twoScales, y0, { times: [0, 2, 5], rtol: [1e-7, 1e-7], atol: Float64Array.of(1e-9, 1e-9) });
    expect(perComponent.y).toEqual(scalar.y);
    expect(perComponent.stats).toEqual(scalar.stats);
  });

  it('a per-component atol makes a tiny component accurate where a scalar atol ignores it', () => {
    const scalar = solve(twoScales, y0, { times: [5], t0: 0, rtol: 1e-6, atol: 1e-6 });
    const perComponent = solve(twoScales, y0, { times: [5], t0: 0, rtol: 1e-6, atol: [1e-6, 1e-16] });
    const [, tinyScalar] = relativeErrors(scalar.y, 5);
    const [large, tiny] = relativeErrors(perComponent.y, 5);
    expect(tinyScalar).toBeGreaterThan(1e-4);
    expect(tiny).toBeLessThan(3e-5);
    expect(large).toBeLessThan(3e-5);
    expect(perComponent.stats.accepted).toBeGreaterThan(scalar.stats.accepted);
  });

  it('a per-component rtol tightens only the steps its component needs', () => {
    const loose = solve(twoScales, y0, { times: [5], t0: 0, rtol: 1e-4, atol: 1e-20 });
    const tightFirst = solve(twoScales, y0, { times: [5], t0: 0, rtol: [1e-9, 1e-4], atol: 1e-20 });
    expect(relativeErrors(tightFirst.y, 5)[0]).toBeLessThan(relativeErrors(loose.y, 5)[0] / 100);
    expect(tightFirst.stats.accepted).toBeGreaterThan(loose.stats.accepted);
  });
});

describe('step bounds', () => {
  const P = kepler(0.5);
  const T = 2 * Math.PI;

  it('maxStep bounds every step, and binds', () => {
    const free = recordSteps(P, { times: [T], t0: 0 });
    expect(Math.max(...free.accepted.map((s) => Math.abs(s.h)))).toBeGreaterThan(0.2);
    const bounded = recordSteps(P, { times: [T], t0: 0, maxStep: 0.2 });
    for (const a of bounded.attempts) expect(Math.abs(a.h)).toBeLessThanOrEqual(0.2);
    expect(bounded.sol.stats.accepted).toBeGreaterThan(free.sol.stats.accepted);
    expect(maxAbsDiff(bounded.sol.y, P.exact(T))).toBeLessThan(1e-3);
  });

  it('minStep is a floor for every step but a landing one; asking for less is an error', () => {
    const options = { times: [T], t0: 0, rtol: 1e-8, atol: 1e-8 };
    const free = recordSteps(P, options);
    expect(Math.abs(free.attempts[0].h)).toBeLessThan(0.03); // Hairer's initial step
    const bounded = recordSteps(P, { ...options, minStep: 0.03 });
    expect(bounded.attempts[0].h).toBe(0.03);
    for (const a of bounded.attempts) {
      if (a.landing === Landing.None) expect(Math.abs(a.h)).toBeGreaterThanOrEqual(0.03);
    }
    expect(bounded.attempts.at(-1)!.landing).toBe(Landing.End);
    expect(maxAbsDiff(bounded.sol.y, P.exact(T))).toBeLessThan(1e-5);
    // At rtol = atol = 1e-10 the steps at the pericentre must be below 0.02.
    const e = thrown(() => solve(P.field, P.y0, { ...options, rtol: 1e-10, atol: 1e-10, minStep: 0.02 }));
    expect(e).toBeInstanceOf(StepSizeUnderflowError);
    expect((e as StepSizeUnderflowError).t).toBe(0);
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, none was thrown');
}

describe('landing on t1', () => {
  const cases: [string, SolveOptions][] = [
    ['dopri5 to 1/3', { times: [0, 1 / 3] }],
    ['dopri5 to pi, beyond the last output', { times: [0, 0.5], t1: Math.PI }],
    ['tsit5 to 1e-3 + 7', { times: [1e-3, 7 + 1e-3], method: 'tsit5' }],
    ['dopri5 backwards to -pi', { times: [0, -Math.PI] }],
    ['rk4 with dt = 0.1 to 1 (rounding in t)', { times: [0, 1], method: 'rk4', dt: 0.1 }],
    ['euler with dt = 0.01 to 3', { times: [0, 3], method: 'euler', dt: 0.01 }],
  ];
  for (const [what, options] of cases) {
    it(`${what}: the last step ends on t1 exactly`, () => {
      const integrator = integrate(rotation.field, rotation.y0, { params: rotation.params, ...options });
      expect(integrator.t).toBe(integrator.opts.t1);
      const last = integrator.opts.times.length - 1;
      if (integrator.opts.times[last] === integrator.opts.t1) {
        expect(integrator.outputTheta[last]).toBe(1);
        expect(integrator.outputs.subarray(last * 2)).toEqual(integrator.y);
      }
    });
  }

  it('fixed steps of dt = 0.1 over [0, 1] are exactly ten, the last one stretched by rounding only', () => {
    const sol = solve(rotation.field, rotation.y0, { times: [0, 1], method: 'rk4', dt: 0.1, params: rotation.params });
    expect(sol.stats.accepted).toBe(10);
    const steps = recordSteps(rotation, { times: [0, 1], method: 'rk4', dt: 0.1 }).accepted;
    for (const s of steps) expect(Math.abs(s.h - 0.1)).toBeLessThan(1e-15);
  });
});

describe('backwards integration', () => {
  it('Kepler from one period back to 0, with outputs at decreasing times', () => {
    const P = kepler(0.5);
    const T = 2 * Math.PI;
    const times = [T, 0.8 * T, 0.55 * T, 0.3 * T, 0.1 * T, 0];
    for (const method of ['dopri5', 'tsit5', 'dopri8', 'bosh3']) {
      const tol = method === 'bosh3' ? 1e-8 : 1e-10;
      const sol = solve(P.field, P.exact(T), { times, method, rtol: tol, atol: tol });
      for (let k = 0; k < times.length; k++) {
        expect(maxAbsDiff(sol.y.subarray(4 * k, 4 * k + 4), P.exact(times[k])), `${method} t = ${times[k]}`).toBeLessThan(500 * tol);
      }
    }
  });

  it('a non-autonomous problem backwards through t = 0: exp(sin t) from 3 to -2', () => {
    const times = [3, 2.2, 1, 0, -0.7, -2];
    const sol = solve(expSin.field, expSin.exact(3), { times, rtol: 1e-10, atol: 1e-10 });
    for (let k = 0; k < times.length; k++) {
      expect(Math.abs(sol.y[k] - expSin.exact(times[k])[0])).toBeLessThan(1e-9);
    }
  });

  it('mirrors the forward solve of the time-reversed problem step for step', () => {
    // y(t) for t from 0 down to -5 under y' = f(y) is z(s) = y(-s) under z' = -f(z), s from 0 to 5.
    const P = rotation;
    const reversed: Field = {
      dim: 2,
      nParams: 2,
      f(t, y, p, out) {
        P.field.f(-t, y, p, out);
        out[0] = -out[0];
        out[1] = -out[1];
      },
    };
    const back = solve(P.field, P.y0, { times: [0, -2, -5], params: P.params, rtol: 1e-8, atol: 1e-8 });
    const forward = solve(reversed, P.y0, { times: [0, 2, 5], params: P.params, rtol: 1e-8, atol: 1e-8 });
    expect(back.stats).toEqual(forward.stats);
    expect(maxAbsDiff(back.y, forward.y)).toBeLessThan(1e-14);
  });
});

describe('landOnOutputs', () => {
  const P = kepler(0.5);
  const times = [0, 0.3, 0.31, 1.7, 2.5, 2 * Math.PI];

  for (const method of ['dopri5', 'tsit5', 'dopri8', 'bosh3', 'heun_euler']) {
    it(`${method}: every output time is a step end, its output that step's state`, () => {
      const { sol, accepted } = recordSteps(P, { times, method, rtol: 1e-7, atol: 1e-7, landOnOutputs: true });
      const stepEnds = new Set([...accepted.slice(1).map((s) => s.t), 2 * Math.PI]);
      for (const t of times.slice(1)) expect(stepEnds.has(t), `t = ${t}`).toBe(true);
      const integrator = integrate(P.field, P.y0, { times, method, rtol: 1e-7, atol: 1e-7, landOnOutputs: true });
      expect(Array.from(integrator.outputTheta.subarray(1))).toEqual([1, 1, 1, 1, 1]);
      expect(integrator.outputs).toEqual(sol.y);
    });
  }

  it('without landing, outputs are interpolated inside steps', () => {
    const integrator = integrate(P.field, P.y0, { times, method: 'dopri5', rtol: 1e-7, atol: 1e-7, landOnOutputs: false });
    const interior = Array.from(integrator.outputTheta.subarray(1, -1)).filter((theta) => theta < 1);
    expect(interior.length).toBe(4);
  });

  it('a fixed-step method without dt takes one step per output interval', () => {
    // rk4 on y' = -y: each step multiplies by R(-h), R(z) = 1 + z + z^2/2 + z^3/6 + z^4/24.
    const R = (z: number) => 1 + z + (z * z) / 2 + (z * z * z) / 6 + (z * z * z * z) / 24;
    const outTimes = [0, 0.5, 0.75, 1.5, 2];
    const sol = solve(linearField(1), [1], { times: outTimes, method: 'rk4', params: [-1], landOnOutputs: true });
    expect(sol.stats.accepted).toBe(4);
    let y = 1;
    for (let k = 1; k < outTimes.length; k++) {
      y *= R(-(outTimes[k] - outTimes[k - 1]));
      expect(sol.y[k]).toBeCloseTo(y, 14);
    }
  });
});

describe('controllers', () => {
  const P = kepler(0.5);
  const q = getMethod('dopri5').errorOrder;
  const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

  /** Checks each proposal against the controller's rule applied to the previous attempt. */
  function checkProposals(kind: 'integral' | 'pi') {
    const { attempts } = recordSteps(P, { times: [2 * Math.PI], t0: 0, rtol: 1e-6, atol: 1e-6, controller: kind });
    expect(attempts.filter((a) => !a.accepted).length).toBeGreaterThan(0);
    for (let n = 0; n + 1 < attempts.length; n++) {
      const { h, err, errPrev, accepted } = attempts[n];
      // Hairer & Wanner, Solving ODEs II, eq. IV.2.43c (PI) and Solving ODEs I, eq. II.4.13
      // (integral); no growth after a rejection, and rejections use the integral rule.
      const raw =
        kind === 'pi' && accepted
          ? 0.9 * err ** (-0.7 / (q + 1)) * errPrev ** (0.4 / (q + 1))
          : 0.9 * err ** (-1 / (q + 1));
      const factor = clamp(raw, 0.2, accepted ? 10 : 1);
      expect(attempts[n + 1].hProposed / (Math.abs(h) * factor)).toBeCloseTo(1, 12);
      // errPrev carries the last accepted error (floored at 1e-4), or 1 before any.
      const lastAccepted = attempts.slice(0, n + 1).filter((a) => a.accepted).at(-1);
      expect(attempts[n + 1].errPrev).toBe(lastAccepted ? Math.max(lastAccepted.err, 1e-4) : 1);
    }
  }

  it('integral: h_new = h clamp(0.9 err^(-1/5), 0.2, 10), at most h after a rejection', () => checkProposals('integral'));
  it('PI: h_new = h clamp(0.9 err^(-0.7/5) errPrev^(0.4/5), 0.2, 10)', () => checkProposals('pi'));

  it('PI rejects fewer steps than integral on the Arenstorf orbit, at the same accuracy', () => {
    for (const method of ['dopri5', 'tsit5', 'dopri8']) {
      for (const tol of [1e-6, 1e-8]) {
        const options = { times: [ARENSTORF.period], t0: 0, method, rtol: tol, atol: tol };
        const integral = solve(arenstorfField(), ARENSTORF.y0, options);
        const pi = solve(arenstorfField(), ARENSTORF.y0, { ...options, controller: 'pi' });
        expect(pi.stats.rejected, `${method} ${tol}`).toBeLessThan(integral.stats.rejected);
        expect(maxAbsDiff(pi.y, ARENSTORF.y0)).toBeLessThan(5e4 * tol);
      }
    }
  });

  it('safety and factor bounds are honoured', () => {
    const ctl = { safety: 0.5, factorMin: 0.5, factorMax: 2 };
    const { attempts } = recordSteps(P, { times: [2 * Math.PI], t0: 0, rtol: 1e-6, atol: 1e-6, controller: ctl });
    for (let n = 0; n + 1 < attempts.length; n++) {
      const ratio = attempts[n + 1].hProposed / Math.abs(attempts[n].h);
      expect(ratio).toBeGreaterThanOrEqual(0.5 * (1 - 1e-15));
      expect(ratio).toBeLessThanOrEqual(2 * (1 + 1e-15));
      if (attempts[n].err > 0) {
        const expected = clamp(0.5 * attempts[n].err ** (-1 / (q + 1)), 0.5, attempts[n].accepted ? 2 : 1);
        expect(ratio).toBeCloseTo(expected, 12);
      }
    }
  });
});

describe('statistics', () => {
  /** A field that counts its own evaluations. */
  function counted(P: ClosedForm) {
    const counter = { calls: 0 };
    const field: Field = {
      dim: P.field.dim,
      nParams: P.field.nParams,
      f(t, y, p, out) {
        counter.calls++;
        P.field.f(t, y, p, out);
      },
    };
    return { field, counter };
  }

  it("dopri5 and tsit5 (7 stages, FSAL): fEvals = 6 (accepted + rejected) + 2 with Hairer's initial step", () => {
    for (const method of ['dopri5', 'tsit5']) {
      for (const tol of [1e-4, 1e-8]) {
        const { stats } = solve(arenstorfField(), ARENSTORF.y0, { times: [ARENSTORF.period], t0: 0, method, rtol: tol, atol: tol });
        expect(stats.rejected).toBeGreaterThan(0);
        expect(stats.fEvals).toBe(6 * (stats.accepted + stats.rejected) + 2);
      }
    }
  });

  it('with a given first step there is no initial-step evaluation; dopri8 makes 12 per attempt, bosh3 3', () => {
    const options = { times: [ARENSTORF.period], t0: 0, rtol: 1e-6, atol: 1e-6 };
    const given = solve(arenstorfField(), ARENSTORF.y0, { ...options, firstStep: 1e-3 }).stats;
    expect(given.fEvals).toBe(6 * (given.accepted + given.rejected) + 1);
    const d8 = solve(arenstorfField(), ARENSTORF.y0, { ...options, method: 'dopri8' }).stats;
    expect(d8.fEvals).toBe(12 * (d8.accepted + d8.rejected) + 2);
    const b3 = solve(arenstorfField(), ARENSTORF.y0, { ...options, method: 'bosh3' }).stats;
    expect(b3.fEvals).toBe(3 * (b3.accepted + b3.rejected) + 2);
  });

  const scenarios: [string, SolveOptions][] = [
    ['final time only', { times: [0, 7] }],
    ['many interpolated outputs', { times: Array.from({ length: 30 }, (_, k) => k * 0.25) }],
    ['landing on outputs', { times: [0, 1, 2.5, 7], landOnOutputs: true }],
    ['backwards', { times: [0, -3, -7] }],
  ];
  for (const method of METHOD_NAMES) {
    for (const [what, options] of scenarios) {
      it(`${method}, ${what}: fEvals counts every f call; accepted and rejected count the steps`, () => {
        const P = kepler(0.3);
        const { field, counter } = counted(P);
        let attempts = 0;
        let accepted = 0;
        const fixed = getMethod(method).adaptive ? {} : { dt: 0.05 };
        const sol = solve(field, P.y0, { ...options, ...fixed, method, rtol: 1e-6, atol: 1e-6 }, {
          attempt: () => void attempts++,
          accepted: () => void accepted++,
        });
        expect(sol.stats.fEvals).toBe(counter.calls);
        expect(sol.stats.accepted).toBe(accepted);
        expect(sol.stats.accepted + sol.stats.rejected).toBe(attempts);
        if (!getMethod(method).adaptive) expect(sol.stats.rejected).toBe(0);
      });
    }
  }
});
