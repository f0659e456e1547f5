/** The progress bar: a line per tenth when not on a terminal, redraws in place on one. */
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/cli/progress.ts';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (s: string) => chunks.push(s) }, chunks };
}

describe('ProgressBar', () => {
  it('not a terminal: one line each tenth, and the final state once', () => {
    const { stream, chunks } = sink(false);
    const bar = new ProgressBar({ label: 'fit', total: 100, stream, width: 10 });
    for (let k = 0; k <= 37; k++) bar.update(k, { loss: 1 / (k + 1) });
    bar.done(37, { loss: 0.5 });
    expect(chunks).toEqual([
      'fit [----------]   0/100  loss=1\n',
      'fit [#---------]  10/100  loss=9.0909e-2\n',
      'fit [##--------]  20/100  loss=4.7619e-2\n',
      'fit [###-------]  30/100  loss=3.2258e-2\n',
      'fit [####------]  37/100  loss=5.0000e-1\n',
    ]);
  });

  it('not a terminal: done() after update(total) does not print the last line twice', () => {
    const { stream, chunks } = sink(false);
    const bar = new ProgressBar({ label: 'fit', total: 4, stream, width: 4 });
    for (let k = 1; k <= 4; k++) bar.update(k, { loss: k });
    bar.done(4, { loss: 4 });
    expect(chunks).toEqual([
      'fit [#---] 1/4  loss=1\n',
      'fit [##--] 2/4  loss=2\n',
      'fit [###-] 3/4  loss=3\n',
      'fit [####] 4/4  loss=4\n',
    ]);
  });

  it('not a terminal: done() without any update prints the final line once', () => {
    const { stream, chunks } = sink(false);
    const bar = new ProgressBar({ label: 'fit', total: 4, stream, width: 4 });
    bar.done(0);
    bar.done(0);
    expect(chunks).toEqual(['fit [----] 0/4\n']);
  });

  it('a terminal: redraws one line with \\r and ends it on done', () => {
    const { stream, chunks } = sink(true);
    const bar = new ProgressBar({ label: 'run', total: 4, stream, width: 4 });
    bar.update(1, { step: 'a' });
    bar.update(2); // within 50 ms of the last draw: skipped
    bar.done(4);
    expect(chunks).toEqual(['\rrun [#---] 1/4  step=a\x1b[K', '\rrun [####] 4/4\x1b[K\n']);
  });
});
