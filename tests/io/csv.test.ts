/** Data files: what parses, and each malformed file with its exact message. */
import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv } from '../../src/io/csv.ts';
import { formatCsv, trajectoryCsv } from '../../src/io/csv-write.ts';

const columns = ['x', 'y'];

function csvError(text: string): CsvError {
  try {
    parseCsv(text, { name: 'data.csv', columns });
  } catch (error) {
    if (error instanceof CsvError) return error;
    throw error;
  }
  throw new Error('expected a CsvError');
}

describe('parseCsv', () => {
  it('irregular times, missing cells, comments, blank lines, quotes and CRLF', () => {
    const text = '\uFEFF# made by hand\r\ntime,"y",x\r\n0.5,1,2\r\n\r\n0.75,NA,3e-1\r\n# a note\r\n2,,4\r\n10,NaN,\r\n';
    const table = parseCsv(text, { name: 'd.csv', columns });
    expect(Array.from(table.times)).toEqual([0.5, 0.75, 2, 10]);
    expect(table.columns).toEqual(['y', 'x']);
    expect(Array.from(table.values)).toEqual([1, 2, NaN, 0.3, NaN, 4, NaN, NaN]);
    expect(table.lines).toEqual([3, 5, 7, 8]);
  });

  it('reads back what formatCsv writes, bit for bit', () => {
    const values = [Math.PI, -1e-300, 1 / 3, NaN, 123456789.123456789, 2 ** -52];
    const text = formatCsv(['t', 'x', 'y'], [[0.1, values[0], values[1]], [0.2, values[2], values[3]], [0.3, values[4], values[5]]]);
    const table = parseCsv(text);
    expect(Array.from(table.values)).toEqual(values);
    expect(trajectoryCsv([0, 1], Float64Array.of(1, 2, 3, 4), ['x', 'y'])).toBe('t,x,y\n0,1,2\n1,3,4\n');
  });
});

const cases: [string, string, string][] = [
  ['a cell that is not a number', 't,x,y\n0,1,2\n1,1,2\n2,1,2\n3,1,2\n4,1,2\n5,1,abc\n',
    "data.csv line 7: column 'y' has 'abc', not a number"],
  ['a row with too few cells', 't,x,y\n0,1,2\n1,1,2\n2,1,2\n3,1\n', 'data.csv line 5: 2 cells, expected 3 (t, x, y)'],
  ['times that do not increase', 't,x,y\n0,1,2\n1,1,2\n2,1,2\n3,1,2\n4,1,2\n5,1,2\n6,1,2\n3,1,2\n2.5,1,2\n',
    'data.csv line 9: time 3 is not after 6 (line 8); times must increase\ndata.csv line 10: time 2.5 is not after 6 (line 8); times must increase'],
  ['a repeated time', 't,x\n1,1\n1,2\n', 'data.csv line 3: time 1 is not after 1 (line 2); times must increase'],
  ['an unknown column close to a state', 't,x,yy\n0,1,2\n', "data.csv line 1: unknown column 'yy' (did you mean 'y'?)"],
  ['an unknown column', 't,x,prey\n0,1,2\n', "data.csv line 1: unknown column 'prey' (the series are x, y)"],
  ['no time column', 'x,y\n1,2\n', "data.csv line 1: no time column (name one column 't' or 'time', or name yours by data.time in the spec or --time-column); the header is x,y"],
  ['two time columns', 't,time,x\n1,1,2\n', "data.csv line 1: two time columns 't' and 'time' (keep one)"],
  ['a duplicate column', 't,x,x\n1,1,2\n', "data.csv line 1: duplicate column 'x'"],
  ['a column without a name', 't,x,,y\n1,1,2,3\n', 'data.csv line 1: column 3 has no name'],
  ['a missing time', 't,x\n1,1\nNA,2\n', "data.csv line 3: the time (column 't') is missing"],
  ['a time that is not a number', 'time,x\n1,1\n2s,2\n', "data.csv line 3: column 'time' has '2s', not a number"],
  ['hexadecimal is not a number', 't,x\n1,0x10\n', "data.csv line 2: column 'x' has '0x10', not a number"],
  ['a header and no rows', '# comment\nt,x,y\n', 'data.csv: no data rows (only a header)'],
  ['an empty file', '\n# only a comment\n', 'data.csv: no header line (expected a header such as t,x,y)'],
  ['only a time column', 't\n1\n', "data.csv line 1: no data columns besides 't'"],
  ['several bad rows, each with its line', 't,x,y\n0,1,2\n1,one,2\n2,1\n3,1,2,4\n4,1,2\n',
    ["data.csv line 3: column 'x' has 'one', not a number", 'data.csv line 4: 2 cells, expected 3 (t, x, y)',
      'data.csv line 5: 4 cells, expected 3 (t, x, y)'].join('\n')],
];

describe('malformed data files', () => {
  for (const [what, text, message] of cases) {
    it(what, () => {
      const error = csvError(text);
      expect(error.code).toBe('ERR_DATA');
      expect(error.message).toBe(message);
    });
  }

  it('stops listing after 20 bad rows', () => {
    const rows = Array.from({ length: 25 }, (_, k) => `${k},bad`);
    const error = csvError(['t,x', ...rows].join('\n'));
    const lines = error.message.split('\n');
    expect(lines.length).toBe(21);
    expect(lines[0]).toBe("data.csv line 2: column 'x' has 'bad', not a number");
    expect(lines[20]).toBe('data.csv: ... and 5 more bad rows');
    expect(error.problems.map((p) => p.line)).toEqual(Array.from({ length: 20 }, (_, k) => k + 2));
  });
});
