/**
 * GradientSettings: how a gradient is computed, one tagged value that every path carries
 * unchanged (library options, spec files, problems, batch jobs, time-series training). The tag
 * names the method; each method has its own options and checks them itself (gradients/methods.ts,
 * as diffrax's adjoint objects do), so no other module knows a method's options.
 *
 *   { method: 'aca', keepStages?: boolean | 'auto', keptStagesLimitBytes?: number,
 *     toleranceFactor?: number, accuracy?: number, maxRefinements?: number }
 *   { method: 'adjoint', rtol?: number, atol?: number }
 *   { method: 'naive' }
 */
import { InvalidArgumentError } from '../errors.ts';

export type GradientMethodName = 'aca' | 'adjoint' | 'naive';
export const GRADIENT_METHODS: readonly GradientMethodName[] = ['aca', 'adjoint', 'naive'];

export interface AcaSettings {
  readonly method: 'aca';
  /**
   * Keep each accepted step's stage inputs from the forward pass instead of recomputing them in
   * the backward pass (s d numbers per step more, no f evaluations backwards). 'auto' (default)
   * keeps them for the steps that fit under keptStagesLimitBytes and recomputes the rest.
   */
  readonly keepStages?: boolean | 'auto';
  /** The memory 'auto' may spend on kept stages (default 64 MiB). */
  readonly keptStagesLimitBytes?: number;
  /**
   * ACA's forward pass runs at toleranceFactor x the solve's rtol and atol (default 0.05; 1 is
   * plain ACA as published). The steps a solve picks control y's local error only; near close
   * approaches the sensitivities' local error varies far more sharply, and ACA's gradient (exact
   * for those steps) was measured 15-150x less accurate than y (docs/gradient-accuracy.md). A
   * twentieth of the tolerance brings it within 5x of the forward error at about 1.5x the time.
   */
  readonly toleranceFactor?: number;
  /**
   * A requested relative accuracy of the gradient: repeat the evaluation with the tolerance
   * divided by 10 until two successive gradients (dy0 and dp together) agree to this relative
   * accuracy, and return the last one with the estimate in result.accuracy. Off by default.
   */
  readonly accuracy?: number;
  /** How many times `accuracy` may tighten the tolerance before giving up (default 4). */
  readonly maxRefinements?: number;
}

export interface AdjointSettings {
  readonly method: 'adjoint';
  /** Tolerances of the backward solve (default: the forward solve's, the loosest component). */
  readonly rtol?: number;
  readonly atol?: number;
  /**
   * Reset the backward solve's y to the forward outputs at each output time (default false, as
   * torchdiffeq). Measured in docs/design.md: it does not make the gradient reliably better.
   */
  readonly resetStateAtOutputs?: boolean;
  /**
   * The backward solve reconstructs y and is compared with the forward outputs at each output
   * time: beyond maxDrift times the tolerance (the scaled RMS norm of the difference, 1 = at
   * tolerance) it raises AdjointDriftError. Default 1e5; Infinity only reports the drift.
   */
  readonly maxDrift?: number;
}

export interface NaiveSettings {
  readonly method: 'naive';
}

export type GradientSettings = AcaSettings | AdjointSettings | NaiveSettings;

/** The default: ACA with its default options. */
export const DEFAULT_GRADIENT: GradientSettings = { method: 'aca' };

/** The keys each method accepts (besides `method`), for strict checks in the library and specs. */
export const GRADIENT_SETTING_KEYS: { readonly [M in GradientMethodName]: readonly string[] } = {
  aca: ['keepStages', 'keptStagesLimitBytes', 'toleranceFactor', 'accuracy', 'maxRefinements'],
  adjoint: ['rtol', 'atol', 'maxDrift', 'resetStateAtOutputs'],
  naive: [],
};

/** Rejects keys a method does not take (a typo must not silently run the default). */
export function checkKeys(settings: GradientSettings, path: string): void {
  const allowed = GRADIENT_SETTING_KEYS[settings.method];
  for (const key of Object.keys(settings)) {
    if (key === 'method' || allowed.includes(key)) continue;
    const takes = allowed.length > 0 ? `one of ${allowed.join(', ')}` : 'no options';
    throw new InvalidArgumentError(`${path}.${key}`, (settings as unknown as Record<string, unknown>)[key], `an option of '${settings.method}' (it takes ${takes})`);
  }
}
