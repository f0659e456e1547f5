/**
 * The main job (`npm start`): the seed paper's three-body mass estimation, fitted once with each
 * gradient method from the same seeded initial guess, then extrapolated from [0, 1] to [0, 2].
 */
import type { GradientMethodName } from '../gradients/settings.ts';
import { createRng } from '../util/random.ts';
import { estimate, type EstimateResult } from './estimate.ts';
import { extrapolationError, type ExtrapolationError } from './extrapolate.ts';
import { synthesize, type Observations } from './observations.ts';
import { paperSetup, type PaperSetup } from './paper.ts';

export interface MethodOutcome {
  readonly method: GradientMethodName;
  readonly fit: EstimateResult;
  readonly relativeErrors: Float64Array;
  readonly test: ExtrapolationError;
}

export interface PaperExperiment {
  readonly setup: PaperSetup;
  readonly initialMasses: Float64Array;
  readonly train: Observations;
  readonly test: Observations;
  readonly outcomes: MethodOutcome[];
  /** The tolerances the fits used. */
  readonly solver: { rtol: number; atol: number };
}

export interface PaperExperimentOptions {
  readonly methods?: readonly GradientMethodName[];
  readonly epochs?: number;
  readonly seed?: number;
  /** Overrides of the paper's settings (Adam's lr and decay, the weight base, tolerances). */
  readonly lr?: number;
  readonly lrDecay?: number;
  readonly timeWeightBase?: number;
  readonly rtol?: number;
  readonly atol?: number;
  readonly onEpoch?: (method: GradientMethodName, epoch: number, epochs: number, loss: number) => void;
}

export async function runPaperExperiment(options: PaperExperimentOptions = {}): Promise<PaperExperiment> {
  const setup = paperSetup();
  const rng = createRng(options.seed ?? 20200713);
  const [lo, hi] = setup.initialGuessRange;
  const initialMasses = Float64Array.from(setup.trueMasses, () => rng.uniform(lo, hi));
  const train = synthesize(setup.system, setup.y0, setup.trueMasses, setup.trainTimes);
  const test = synthesize(setup.system, setup.y0, setup.trueMasses, setup.testTimes);
  const epochs = options.epochs ?? setup.adam.epochs;
  const solver = { rtol: options.rtol ?? setup.rtol, atol: options.atol ?? setup.atol };
  const outcomes: MethodOutcome[] = [];
  for (const method of options.methods ?? (['aca', 'adjoint', 'naive'] as const)) {
    const fit = await estimate(setup.system, [{ observations: train, y0: setup.y0 }], {
      gradient: { method },
      ...solver,
      epochs,
      lr: options.lr ?? setup.adam.lr,
      lrDecay: options.lrDecay ?? setup.adam.lrDecay,
      beta1: setup.adam.beta1,
      beta2: setup.adam.beta2,
      initialMasses,
      timeWeightBase: options.timeWeightBase ?? setup.trainWeightBase,
      onEpoch: (epoch, loss) => options.onEpoch?.(method, epoch, epochs, loss),
    });
    const relativeErrors = Float64Array.from(fit.masses, (m, b) => Math.abs(m - setup.trueMasses[b]) / setup.trueMasses[b]);
    const testError = extrapolationError(setup.system, setup.y0, fit.masses, test, setup.testWeightBase, solver);
    outcomes.push({ method, fit, relativeErrors, test: testError });
  }
  return { setup, initialMasses, train, test, outcomes, solver };
}
