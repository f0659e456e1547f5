/**
 * A small progress bar on stderr. On a terminal it redraws one line in place (\r), at most every
 * 50 ms; elsewhere (a log file, CI) it prints a plain line each time another tenth of the work is
 * done, so logs stay short. Extra fields (the loss) follow the count.
 *
 *   fit [##########··········]  50/100  loss=1.2346e-1
 */

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** Default process.stderr. */
  readonly stream?: ProgressStream;
  /** Bar width in characters (default 24). */
  readonly width?: number;
  /** Override the stream's isTTY. */
  readonly tty?: boolean;
}

export type ProgressFields = Readonly<Record<string, string | number>>;

export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly width: number;
  private lastDraw = 0;
  private lastTenth = -1;
  private drawn = false;
  readonly label: string;
  total: number;

  constructor(options: ProgressOptions) {
    this.label = options.label;
    this.total = options.total;
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.width = options.width ?? 24;
  }

  update(count: number, fields: ProgressFields = {}): void {
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 50 && count < this.total) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.line(count, fields)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const tenth = this.total > 0 ? Math.floor((10 * count) / this.total) : 10;
    if (tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.stream.write(this.line(count, fields) + '\n');
      this.drawn = true;
    }
  }

  /** Draws the final state and ends the line. */
  done(count: number, fields: ProgressFields = {}): void {
    if (this.tty) {
      this.stream.write(`\r${this.line(count, fields)}\x1b[K\n`);
    } else if (this.lastTenth < 10 || !this.drawn) {
      this.stream.write(this.line(count, fields) + '\n');
    }
    this.drawn = true;
    this.lastTenth = 10;
  }

  line(count: number, fields: ProgressFields = {}): string {
    const fraction = this.total > 0 ? Math.min(1, Math.max(0, count / this.total)) : 1;
    const filled = Math.round(fraction * this.width);
    const bar = '#'.repeat(filled) + '-'.repeat(this.width - filled);
    const digits = String(this.total).length;
    const extra = Object.entries(fields).map(([k, v]) => `  ${k}=${typeof v === 'number' ? formatNumber(v) : v}`);
    return `${this.label} [${bar}] ${String(count).padStart(digits)}/${this.total}${extra.join('')}`;
  }
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toExponential(4);
}
