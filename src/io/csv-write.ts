/**
 * Writing tables as CSV: a header and rows of numbers printed with full precision (the shortest
 * decimal that reads back as the same double), missing values (NaN) as empty cells.
 */

/** CSV text of a header and rows; cells that are numbers are printed exactly. */
export function formatCsv(header: readonly string[], rows: Iterable<ArrayLike<number | string>>): string {
  const lines = [header.map(quoteCell).join(',')];
  for (const row of rows) {
    const cells: string[] = [];
    for (let j = 0; j < row.length; j++) cells.push(formatCell(row[j]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

/** A trajectory as CSV: `t` then one column per state, one row per output time. */
export function trajectoryCsv(
  times: ArrayLike<number>,
  states: Float64Array,
  names: readonly string[],
): string {
  const dim = names.length;
  const rows = Array.from({ length: times.length }, (_, k) => [times[k], ...states.subarray(k * dim, (k + 1) * dim)]);
  return formatCsv(['t', ...names], rows);
}

function formatCell(value: number | string): string {
  if (typeof value === 'string') return quoteCell(value);
  return Number.isNaN(value) ? '' : String(value);
}

function quoteCell(cell: string): string {
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}
