/**
 * What `aca batch` shows while it runs: one overall bar and a line per active run with its live
 * progress (iteration, loss, steps, elapsed), from a local worker thread (comlink port) or a
 * queue worker (BullMQ job progress).
 *
 * On a terminal the block is redrawn in place (cursor up, clear to the end of the screen) at most
 * every 100 ms. Elsewhere (a log, CI) the overall bar prints its plain tenth lines (progress.ts)
 * and each run prints a plain line at most every 5 s, so that a long fit is not silent in a log.
 */
import type { RunProgress } from '../parallel/job-types.ts';
import { ProgressBar, type ProgressStream } from './progress.ts';

export interface BatchProgressOptions {
  readonly stream: ProgressStream;
  readonly tty?: boolean;
  /** Lines of active runs shown at most (the rest are counted). */
  readonly maxRuns?: number;
  /** Plain mode: ms between two lines of one run (default 5000). */
  readonly plainEveryMs?: number;
}

export class BatchProgressView {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly maxRuns: number;
  private readonly plainEveryMs: number;
  private readonly runs = new Map<string, RunProgress>();
  private readonly lastPlain = new Map<string, number>();
  private bar: ProgressBar | null = null;
  private counts = { total: 0, done: 0, failed: 0 };
  private drawnLines = 0;
  private lastDraw = 0;

  constructor(options: BatchProgressOptions) {
    this.stream = options.stream;
    this.tty = options.tty ?? Boolean(options.stream.isTTY);
    this.maxRuns = options.maxRuns ?? 8;
    this.plainEveryMs = options.plainEveryMs ?? 5000;
  }

  overall(total: number, done: number, failed: number): void {
    this.counts = { total, done, failed };
    this.bar ??= new ProgressBar({ label: 'batch', total, stream: this.stream, tty: this.tty });
    this.bar.total = total;
    if (this.tty) this.draw(false);
    else this.bar.update(done, failed > 0 ? { failed } : {});
  }

  run(id: string | number, progress: RunProgress | null): void {
    const key = String(id);
    if (progress === null) {
      this.runs.delete(key);
      this.lastPlain.delete(key);
    } else {
      this.runs.set(key, progress);
      if (!this.tty) {
        const now = Date.now();
        const last = this.lastPlain.get(key);
        if (last === undefined || now - last >= this.plainEveryMs) {
          this.lastPlain.set(key, now);
          this.stream.write(`run ${key}: ${describeProgress(progress)}\n`);
        }
      }
    }
    if (this.tty) this.draw(false);
  }

  /** The final state; ends the block (the run lines are gone by then). */
  finish(interrupted: boolean): void {
    this.runs.clear();
    if (!this.bar) return;
    if (this.tty) this.draw(true);
    if (interrupted) {
      if (!this.tty) this.stream.write('\n');
      return;
    }
    const { done, failed } = this.counts;
    if (this.tty) this.stream.write('\n');
    else this.bar.done(done, failed > 0 ? { failed } : {});
  }

  /** The block as text: the bar, then a line per active run. */
  lines(): string[] {
    const { done, failed } = this.counts;
    const out = [this.bar ? this.bar.line(done, failed > 0 ? { failed } : {}) : 'batch'];
    const active = [...this.runs.entries()];
    for (const [id, p] of active.slice(0, this.maxRuns)) out.push(`  ${id}: ${describeProgress(p)}`);
    if (active.length > this.maxRuns) out.push(`  ... and ${active.length - this.maxRuns} more running`);
    return out;
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const lines = this.lines();
    const up = this.drawnLines > 1 ? `\x1b[${this.drawnLines - 1}A` : '';
    this.stream.write(`${up}\r\x1b[J${lines.join('\n')}`);
    this.drawnLines = lines.length;
  }
}

/** `iteration 5/20  loss=1.2346e-1  steps 12  3.4 s` with the fields the run reported. */
export function describeProgress(p: RunProgress): string {
  const parts: string[] = [];
  if (p.iteration !== undefined) parts.push(`iteration ${p.iteration}${p.iterations !== undefined ? `/${p.iterations}` : ''}`);
  if (p.loss !== undefined) parts.push(`loss=${Number.isFinite(p.loss) ? p.loss.toExponential(4) : String(p.loss)}`);
  if (p.steps !== undefined) parts.push(`steps ${p.steps}${p.total !== undefined ? `/${p.total}` : ''}`);
  parts.push(`${(p.elapsedMs / 1000).toFixed(1)} s`);
  return parts.join('  ');
}
