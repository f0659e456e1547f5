/**
 * Issue 13: gradients as accurate as the solution, and never silently wrong.
 *
 * References: data/reference/gradient-accuracy.json, the variational equations integrated with
 * dopri8 at 1e-13 (scripts/reference/gradient-references.ts), cross-checked with scipy's DOP853
 * (scripts/reference/gradient_scipy.py: 1e-11 or closer). Errors are relative, over (dy0, dp)
 * together; the forward error is the relative error of all outputs against the same reference.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdjointDriftError, GradientAccuracyError, InvalidArgumentError, NonFiniteError, NonFiniteGradientError } from '../../src/errors.ts';
import type { Field } from '../../src/fields/field.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import type { GradientSettings } from '../../src/gradients/settings.ts';
import { solve } from '../../src/solvers/solve.ts';
import { parseSpecText } from '../../src/spec/load.ts';
import { ACCURACY_PROBLEMS, kepler, type AccuracyProblem } from '../../scripts/reference/gradient-problems.ts';
import { relativeError, variationalGradient } from '../../scripts/reference/variational.ts';

const ROOT = resolve(import.meta.dirname, '../..');
interface Reference {
  dy0: number[];
  dp: number[];
  outputs: number[];
}
const REFS = JSON.parse(readFileSync(join(ROOT, 'data/reference/gradient-accuracy.json'), 'utf8')) as {
  problems: Record<string, Reference>;
  scipy: { relativeDifference: Record<string, number> };
};

function errors(key: string, tol: number, settings: GradientSettings) {
  const problem = ACCURACY_PROBLEMS[key]();
  const ref = REFS.problems[key];
  const base = { times: problem.times, t0: problem.t0, params: problem.params, rtol: tol, atol: tol };
  const s = solve(problem.field, problem.y0, base);
  const r = gradient(problem.field, problem.y0, { ...base, loss: problem.loss, gradient: settings });
  return {
    forward: relativeError([[s.y, ref.outputs]]),
    gradient: relativeError([[r.dy0, ref.dy0], [r.dp, ref.dp]]),
    result: r,
  };
}

describe('the references', () => {
  it('scipy agrees with the committed variational-equation gradients', () => {
    for (const key of Object.keys(ACCURACY_PROBLEMS)) expect(REFS.scipy.relativeDifference[key]).toBeLessThan(1e-10);
  });

  it('the committed references are what the script computes now (Lotka-Volterra)', () => {
    const ref = variationalGradient(ACCURACY_PROBLEMS.lotkaVolterra());
    expect(relativeError([[ref.dp, REFS.problems.lotkaVolterra.dp]])).toBeLessThan(1e-14);
  });
});

describe("ACA's default: the gradient within 10x the forward error", () => {
  for (const key of ['figureEight', 'kepler09'] as const) {
    for (const tol of [1e-6, 1e-8]) {
      it(`${key}, rtol = atol = ${tol}`, () => {
        const plain = errors(key, tol, { method: 'aca', toleranceFactor: 1 });
        const fixed = errors(key, tol, { method: 'aca' });
        // The failure the issue measured: plain ACA 15-150x the forward error here...
        expect(plain.gradient).toBeGreaterThan(10 * plain.forward);
        // ...and the default within 10x.
        expect(fixed.gradient).toBeLessThan(10 * fixed.forward);
        expect(fixed.forward).toBe(plain.forward);
      });
    }
  }
  for (const key of ['lotkaVolterra', 'brusselator', 'vanDerPol'] as const) {
    it(`${key} (smooth), rtol = atol = 1e-6 and 1e-8`, () => {
      for (const tol of [1e-6, 1e-8]) {
        const e = errors(key, tol, { method: 'aca' });
        expect(e.gradient).toBeLessThan(10 * e.forward);
      }
    });
  }

  it('toleranceFactor 1 is plain ACA: the accepted steps are those of the solve at the tolerance', () => {
    const p = ACCURACY_PROBLEMS.figureEight();
    const opts = { times: p.times, t0: 0, params: p.params, rtol: 1e-6, atol: 1e-6 };
    const s = solve(p.field, p.y0, opts);
    const plain = gradient(p.field, p.y0, { ...opts, loss: p.loss, gradient: { method: 'aca', toleranceFactor: 1 } });
    const fixed = gradient(p.field, p.y0, { ...opts, loss: p.loss });
    expect(plain.acceptedSteps!.t.length).toBe(s.stats.accepted);
    expect(fixed.acceptedSteps!.t.length).toBeGreaterThan(1.5 * s.stats.accepted);
  });
});

describe('accuracy: repeat until two gradients agree', () => {
  it('figure-eight at 1e-6: the estimate bounds the true error, which meets the request', () => {
    const e = errors('figureEight', 1e-6, { method: 'aca', accuracy: 1e-6 });
    const acc = e.result.accuracy!;
    expect(acc.estimate).toBeLessThanOrEqual(1e-6);
    expect(acc.refinements).toBeGreaterThanOrEqual(1);
    expect(acc.toleranceFactor).toBeCloseTo(0.05 / 10 ** acc.refinements, 15);
    expect(e.gradient).toBeLessThan(1e-6);
    expect(e.gradient).toBeLessThan(acc.estimate);
    expect(acc.fEvals).toBeGreaterThan(e.result.stats.fEvals);
  });

  it('a pair approaching to 0.01 (Kepler e = 0.99): a fixed factor misses, accuracy 1e-4 meets it', () => {
    const problem: AccuracyProblem = kepler(0.99, 1);
    const ref = variationalGradient(problem);
    const base = { times: problem.times, t0: 0, params: problem.params, rtol: 1e-6, atol: 1e-6, loss: problem.loss };
    const err = (r: ReturnType<typeof gradient>) => relativeError([[r.dy0, ref.dy0], [r.dp, ref.dp]]);
    const fixed = gradient(problem.field, problem.y0, base);
    expect(err(fixed)).toBeGreaterThan(1e-4);
    const r = gradient(problem.field, problem.y0, { ...base, gradient: { method: 'aca', accuracy: 1e-4 } });
    expect(r.accuracy!.estimate).toBeLessThanOrEqual(1e-4);
    expect(err(r)).toBeLessThan(1e-4);
  });

  it('not reached within maxRefinements: GradientAccuracyError, not a result', () => {
    const p = ACCURACY_PROBLEMS.kepler09();
    const base = { times: p.times, t0: 0, params: p.params, rtol: 1e-3, atol: 1e-3, loss: p.loss };
    const e = thrown(() => gradient(p.field, p.y0, { ...base, gradient: { method: 'aca', accuracy: 1e-10, maxRefinements: 1 } }));
    expect(e).toBeInstanceOf(GradientAccuracyError);
    expect((e as GradientAccuracyError).code).toBe('ERR_GRADIENT_ACCURACY');
  });

  it('the new options are checked', () => {
    const p = ACCURACY_PROBLEMS.lotkaVolterra();
    const base = { times: p.times, t0: 0, params: p.params, loss: p.loss };
    for (const bad of [{ toleranceFactor: 0 }, { toleranceFactor: 2 }, { accuracy: 0 }, { accuracy: 1 }, { maxRefinements: 0 }, { maxRefinements: 1.5 }]) {
      const e = thrown(() => gradient(p.field, p.y0, { ...base, gradient: { method: 'aca', ...bad } as GradientSettings }));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as InvalidArgumentError).argument).toBe(`gradient.${Object.keys(bad)[0]}`);
    }
    const e = thrown(() => gradient(p.field, p.y0, { ...base, gradient: { method: 'adjoint', maxDrift: -1 } }));
    expect((e as InvalidArgumentError).argument).toBe('gradient.maxDrift');
    // A fixed step has no tolerance to tighten: an estimate of 0 would be a lie.
    const fixed = thrown(() => gradient(p.field, p.y0, { ...base, method: 'rk4', dt: 0.01, gradient: { method: 'aca', accuracy: 1e-6 } }));
    expect((fixed as InvalidArgumentError).argument).toBe('gradient.accuracy');
  });
});

describe('spec files', () => {
  const text = readFileSync(join(ROOT, 'data/lotka_volterra.yaml'), 'utf8');
  const withGradient = (g: string) => text.replace('gradient: { method: aca }', `gradient: ${g}`);

  it('take the new keys', () => {
    const spec = parseSpecText(withGradient('{ method: aca, toleranceFactor: 0.1, accuracy: 1.0e-6, maxRefinements: 3 }'));
    expect(spec.gradient).toEqual({ method: 'aca', toleranceFactor: 0.1, accuracy: 1e-6, maxRefinements: 3 });
    expect(parseSpecText(withGradient('{ method: adjoint, maxDrift: 1000 }')).gradient).toEqual({ method: 'adjoint', maxDrift: 1000 });
  });

  it('refuse out-of-range values and keys of another method', () => {
    for (const g of ['{ method: aca, toleranceFactor: 2 }', '{ method: aca, accuracy: 0 }', '{ method: aca, maxRefinements: 20 }', '{ method: naive, accuracy: 1.0e-6 }', '{ method: aca, maxDrift: 10 }']) {
      expect(() => parseSpecText(withGradient(g)), g).toThrow(/gradient/);
    }
  });
});

describe('never silently wrong', () => {
  const METHODS = ['aca', 'adjoint', 'naive'] as const;
  const lv = ACCURACY_PROBLEMS.lotkaVolterra();
  const base = { times: lv.times, t0: 0, params: lv.params, rtol: 1e-6, atol: 1e-8 };

  it('a VJP that writes NaN: NonFiniteGradientError on every method', () => {
    const t = 2.5;
    const bad: Field = {
      ...lv.field,
      vjp(tt, y, p, a, outY, outP) {
        lv.field.vjp!(tt, y, p, a, outY, outP);
        if (tt > t) outP[1] = NaN;
      },
    };
    for (const method of METHODS) {
      const e = thrown(() => gradient(bad, lv.y0, { ...base, loss: lv.loss, gradient: { method } }));
      expect(e, method).toBeInstanceOf(NonFiniteGradientError);
      expect((e as NonFiniteGradientError).code).toBe('ERR_NON_FINITE_GRADIENT');
      expect((e as Error).message).toMatch(/gradient failure: non-finite .*dL\/dp.* component 1 is NaN/);
    }
  });

  it('a loss gradient with NaN: the output time and component', () => {
    for (const method of METHODS) {
      const e = thrown(() =>
        gradient(lv.field, lv.y0, {
          ...base,
          gradient: { method },
          loss: (y, tt, g) => {
            const L = lv.loss(y, tt, g);
            g[3 * 2 + 1] = NaN;
            return L;
          },
        }),
      ) as NonFiniteGradientError;
      expect(e).toBeInstanceOf(NonFiniteGradientError);
      expect(e).toMatchObject({ t: lv.times[3], index: 1, what: 'loss gradient dL/dy' });
    }
  });

  it('a non-finite loss value', () => {
    const e = thrown(() => gradient(lv.field, lv.y0, { ...base, loss: () => Infinity }));
    expect(e).toBeInstanceOf(NonFiniteGradientError);
    expect((e as Error).message).toContain('loss value');
  });

  it('NaN from f: NonFiniteError with t and component on every method, never step-size underflow', () => {
    const bad: Field = {
      ...lv.field,
      f(t, y, p, out) {
        lv.field.f(t, y, p, out);
        if (t >= 3) out[1] = NaN;
      },
    };
    for (const method of METHODS) {
      const e = thrown(() => gradient(bad, lv.y0, { ...base, loss: lv.loss, gradient: { method } })) as NonFiniteError;
      expect(e, method).toBeInstanceOf(NonFiniteError);
      expect(e.index).toBe(1);
      expect(Math.abs(e.t - 3)).toBeLessThan(1e-9);
    }
  });

  it('the continuous adjoint on Van der Pol mu = 2 (T = 10) refuses at 1e-4, 1e-6 and 1e-8, suggesting aca', () => {
    const vdp = ACCURACY_PROBLEMS.vanDerPol();
    const ref = REFS.problems.vanDerPol;
    for (const tol of [1e-4, 1e-6, 1e-8]) {
      const opts = { times: vdp.times, t0: 0, params: vdp.params, rtol: tol, atol: tol, loss: vdp.loss };
      const e = thrown(() => gradient(vdp.field, vdp.y0, { ...opts, gradient: { method: 'adjoint' } }));
      expect(e, `tol ${tol}`).toBeInstanceOf(AdjointDriftError);
      expect((e as Error).message).toContain("'aca'");
      if (tol === 1e-8) {
        // Reporting only: the drift is in the diagnostics, and the gradient it refused was wrong.
        const r = gradient(vdp.field, vdp.y0, { ...opts, gradient: { method: 'adjoint', maxDrift: Infinity } });
        expect(r.diagnostics!.adjointDrift!.max).toBeGreaterThan(1e5);
        expect(relativeError([[r.dp, ref.dp]])).toBeGreaterThan(0.5);
      }
    }
  });

  it("a healthy adjoint reports its drift and passes (Lotka-Volterra)", () => {
    const r = gradient(lv.field, lv.y0, { ...base, loss: lv.loss, gradient: { method: 'adjoint' } });
    const drift = r.diagnostics!.adjointDrift!;
    expect(drift.max).toBeGreaterThan(0);
    expect(drift.max).toBeLessThan(1e3);
    expect(drift.limit).toBe(1e5);
    expect(relativeError([[r.dp, REFS.problems.lotkaVolterra.dp]])).toBeLessThan(1e-4);
  });
});

describe('naive: the derivative of the whole adaptive solve, initial step included', () => {
  for (const [key, tol] of [['vanDerPol', 1e-4], ['figureEight', 1e-4]] as const) {
    it(`${key} at tol ${tol}, default options (no firstStep)`, () => {
      const p = ACCURACY_PROBLEMS[key]();
      const base = { times: p.times, t0: 0, rtol: tol, atol: tol };
      const r = gradient(p.field, p.y0, { ...base, params: p.params, loss: p.loss, gradient: { method: 'naive' } });
      const L = (y0: number[], params: number[]) => {
        const s = solve(p.field, y0, { ...base, params });
        return p.loss(s.y, s.t, new Float64Array(s.y.length));
      };
      const eps = 1e-7;
      const central = (v: number[], q: number, f: (w: number[]) => number) => {
        const a = [...v];
        const b = [...v];
        a[q] += eps;
        b[q] -= eps;
        return (f(a) - f(b)) / (2 * eps);
      };
      const fdp = p.params.map((_, q) => central(p.params, q, (w) => L(p.y0, w)));
      const fdy = p.y0.map((_, q) => central(p.y0, q, (w) => L(w, p.params)));
      // Without the initial step's derivative these were 1e-4 off (the measurement).
      expect(relativeError([[r.dp, fdp], [r.dy0, fdy]])).toBeLessThan(1e-6);
    });
  }
});

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
