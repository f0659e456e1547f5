/**
 * The commands of `aca`, each loaded only when it runs: `aca --help`, `--version` and a mistyped
 * name start without zod, yaml, mathjs or the worker pool (the start-up bench,
 * scripts/bench/09-startup.ts). The summaries are repeated here for the same reason; a test checks
 * that each matches its command's own.
 */
import type { Command } from '../command.ts';

export interface CommandEntry {
  readonly name: string;
  /** One line for `aca --help` (the same as the command's `summary`). */
  readonly summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'three-body',
    summary: 'estimate three-body masses from observed orbits (the seed paper experiment by default)',
    load: async () => (await import('./three-body.ts')).threeBody,
  },
  { name: 'check', summary: 'validate a spec file (and its data) without solving', load: async () => (await import('./check.ts')).check },
  { name: 'solve', summary: "solve the spec's problem and write the trajectory (CSV or JSON)", load: async () => (await import('./solve.ts')).solve },
  { name: 'grad', summary: 'the loss against the data and its gradient (JSON)', load: async () => (await import('./grad.ts')).grad },
  {
    name: 'fit',
    summary: "fit the spec's free values to data (report JSON, SVG plot, resumable); train a neural or hybrid model",
    load: async () => (await import('./fit.ts')).fit,
  },
  {
    name: 'batch',
    summary: 'run many solve/grad/fit runs (JSONL) on worker threads; resumable JSONL results',
    load: async () => (await import('./batch.ts')).batch,
  },
  {
    name: 'worker',
    summary: 'run queued batch jobs (aca batch --queue) from Redis on this machine',
    load: async () => (await import('./worker.ts')).worker,
  },
  { name: 'dashboard', summary: 'serve Bull Board for a batch queue on localhost', load: async () => (await import('./dashboard.ts')).dashboard },
  {
    name: 'cnn',
    summary: 'train an MNIST ODE-Net (aca, adjoint, naive) and a ResNet with TensorFlow.js',
    load: async () => (await import('./cnn.ts')).cnn,
  },
  { name: 'demo', summary: 'solve the figure-eight three-body orbit and print a table', load: async () => (await import('./demo.ts')).demo },
];
