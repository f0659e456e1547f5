/**
 * "Did you mean" suggestions for misspelt names, by Levenshtein edit distance.
 */

/** The closest candidate within a small edit distance of `name`, or undefined. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  // Two edits catch a swapped, dropped or doubled letter ('alfa' -> 'alpha'); a suggestion must
  // also keep at least one character of the original, so 'q' never suggests 'x'.
  const limit = Math.min(2, name.length - 1);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === name.toLowerCase()) return candidate;
    const d = editDistance(name, candidate);
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean 'x'?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const guess = closestName(name, candidates);
  return guess === undefined ? '' : ` (did you mean '${guess}'?)`;
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j] + 1, current[j - 1] + 1));
    }
    previous = current;
  }
  return previous[b.length];
}
