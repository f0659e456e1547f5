/**
 * A small progress bar on stderr. On a terminal it redraws one line; otherwise (a log file) it
 * prints a line at every tenth of the way, so logs stay short.
 */
export class ProgressBar {
  private done = 0;
  private lastDecile = -1;
  private readonly start = performance.now();
  private readonly stream: NodeJS.WriteStream;

  constructor(
    private readonly total: number,
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.stream = stream;
  }

  /** Advances by n and shows `info` (e.g. the running loss) after the bar. */
  tick(n = 1, info = ''): void {
    this.done = Math.min(this.total, this.done + n);
    const fraction = this.total > 0 ? this.done / this.total : 1;
    const elapsed = (performance.now() - this.start) / 1000;
    const eta = fraction > 0 ? elapsed * (1 / fraction - 1) : 0;
    const text = `${this.label} ${this.done}/${this.total} ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s ${info}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
