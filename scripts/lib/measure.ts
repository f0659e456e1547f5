/** Measuring helpers shared by the benchmark and measurement scripts. */

/**
 * Times several subjects side by side: each is calibrated to about 20 ms per chunk, then rounds
 * run one chunk of every subject in turn (interleaved, so a load spike hits all of them alike).
 * Returns each subject's median microseconds per call, and the median over rounds of each
 * subject's time relative to the first subject's in the same round.
 */
export function timeSideBySide(subjects: (() => void)[], rounds = 9): { medians: number[]; ratios: number[] } {
  const reps = subjects.map((fn) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 20) {
      fn();
      n++;
    }
    return Math.max(1, n);
  });
  const perRound: number[][] = subjects.map(() => []);
  for (let r = 0; r < rounds; r++) {
    subjects.forEach((fn, i) => {
      const t0 = performance.now();
      for (let q = 0; q < reps[i]; q++) fn();
      perRound[i].push(((performance.now() - t0) * 1000) / reps[i]);
    });
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  return {
    medians: perRound.map(median),
    ratios: perRound.map((times) => median(times.map((t, r) => t / perRound[0][r]))),
  };
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}


/** Prints a right-aligned table. */
export function printTable(head: string[], body: string[][]): void {
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padStart(widths[c])).join('  ');
  console.log(line(head));
  console.log(widths.map((n) => '-'.repeat(n)).join('  '));
  for (const r of body) console.log(line(r));
}
