/**
 * Learning-rate schedules of the training loop, as plain JSON values:
 *   { kind: 'constant' }
 *   { kind: 'step', every, factor }        lr_i = lr * factor^floor((i - 1) / every)
 *   { kind: 'cosine', minLr?, warmup? }    linear warm-up over `warmup` iterations, then
 *       lr_i = minLr + (lr - minLr) (1 + cos(pi (i - warmup) / (n - warmup))) / 2
 *       (SGDR without restarts: Loshchilov and Hutter, ICLR 2017, eq. 5).
 * Iterations i count from 1 to n.
 */
import { InvalidArgumentError } from '../errors.ts';

export type LrSchedule =
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly every: number; readonly factor: number }
  | { readonly kind: 'cosine'; readonly minLr?: number; readonly warmup?: number };

/** The learning rate of iteration i (1-based) of n for the base rate lr. */
export function learningRate(schedule: LrSchedule, lr: number, i: number, n: number): number {
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'step':
      return lr * Math.pow(schedule.factor, Math.floor((i - 1) / schedule.every));
    case 'cosine': {
      const warmup = schedule.warmup ?? 0;
      const minLr = schedule.minLr ?? 0;
      if (i <= warmup) return (lr * i) / warmup;
      const span = Math.max(1, n - warmup);
      return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * (i - warmup)) / span))) / 2;
    }
  }
}

/** Checks a schedule (from the API or a spec file); returns it with its kind known. */
export function checkSchedule(schedule: unknown, lr: number): LrSchedule {
  if (!(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new InvalidArgumentError('lr', lr, 'a finite number > 0');
  if (schedule === undefined) return { kind: 'constant' };
  const s = schedule as Record<string, unknown>;
  if (s === null || typeof s !== 'object') {
    throw new InvalidArgumentError('schedule', schedule, "{ kind: 'constant' | 'step' | 'cosine', ... }");
  }
  switch (s.kind) {
    case 'constant':
      return { kind: 'constant' };
    case 'step':
      if (!(Number.isInteger(s.every) && (s.every as number) > 0)) {
        throw new InvalidArgumentError('schedule.every', s.every, 'a positive integer (iterations between decays)');
      }
      if (!(typeof s.factor === 'number' && s.factor > 0 && s.factor <= 1)) {
        throw new InvalidArgumentError('schedule.factor', s.factor, 'a number in (0, 1] (the decay factor)');
      }
      return { kind: 'step', every: s.every as number, factor: s.factor };
    case 'cosine':
      if (s.minLr !== undefined && !(typeof s.minLr === 'number' && s.minLr >= 0 && s.minLr <= lr)) {
        throw new InvalidArgumentError('schedule.minLr', s.minLr, `a number in [0, lr = ${lr}]`);
      }
      if (s.warmup !== undefined && !(Number.isInteger(s.warmup) && (s.warmup as number) >= 0)) {
        throw new InvalidArgumentError('schedule.warmup', s.warmup, 'an integer >= 0 (iterations)');
      }
      return { kind: 'cosine', minLr: s.minLr as number | undefined, warmup: s.warmup as number | undefined };
    default:
      throw new InvalidArgumentError('schedule.kind', s.kind, "'constant', 'step' or 'cosine'");
  }
}
