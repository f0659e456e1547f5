/**
 * Generators of hostile input (fast-check arbitraries) shared by the property tests and the
 * audit script (scripts/audit): specs, expressions, CSV text and batch run lines that mix valid
 * pieces with names that shadow Object.prototype, huge sizes, non-finite numbers, deep nesting
 * and misspelt keys.
 */
import fc from 'fast-check';

/** Names: ordinary, reserved, prototype-shadowing, malformed. */
export const hostileName = fc.constantFrom(
  'x', 'y', 'z', 'a', 'b', 'k1',
  'valueOf', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'prototype', 'isPrototypeOf',
  't', 'pi', 'e', 'sin', 'nn', 'and', 'NaN', 'Infinity', 'true', 'null',
  '', ' ', '1x', 'a b', 'x-y', 'ü', 'x'.repeat(300),
);

const functionName = fc.constantFrom(
  'sin', 'exp', 'log', 'pow', 'sqrt', 'sec',
  'toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'eval', 'import', 'require', 'foo', 'nn',
);

const numberText = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map(String),
  fc.constantFrom('1e999', '-1e999', '0x10', '.5', '1e-320', 'NaN', 'Infinity', '1_000', '2.', '1e', '--1'),
);

/** Expression source text from a small grammar, with hostile leaves and deep nesting. */
export const expression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileName,
    numberText,
    fc.tuple(tie('expr'), fc.constantFrom('+', '-', '*', '/', '^', '==', '%', '!', ' and ', '.', '[1]', ','), tie('expr')).map(([a, op, b]) => `${a}${op}${b}`),
    fc.tuple(functionName, fc.array(tie('expr'), { minLength: 0, maxLength: 3 })).map(([f, args]) => `${f}(${args.join(', ')})`),
    tie('expr').map((a) => `(${a})`),
    fc.tuple(fc.constantFrom('x', 'y'), fc.integer({ min: 1, max: 1500 }), fc.constantFrom('+', '^', '*')).map(([v, n, op]) => Array(n).fill(v).join(op)),
    fc.integer({ min: 1, max: 1200 }).map((n) => `${'('.repeat(n)}x${')'.repeat(n)}`),
    fc.constantFrom('nn(x, y)[1]2', 'nn(x)[0]', 'x = 1', 'f(x) = x', '[1, 2]', '{a: 1}', 'x ? y : 1', '"s"', 'x; y', ''),
  ),
})).expr;

const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -1, 1, 1e-300, 1e15, 1e9, 1e6, 2 ** 53, Infinity, -Infinity, NaN, 1.5),
  fc.integer({ min: -3, max: 10 }),
);

const nameRecord = <T>(value: fc.Arbitrary<T>) =>
  fc.array(fc.tuple(hostileName, value), { maxLength: 4 }).map((entries) => {
    const out: Record<string, T> = {};
    // defineProperty: a key named __proto__ stays a key.
    for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });

const equationModel = fc
  .record(
    {
      states: fc.array(hostileName, { minLength: 0, maxLength: 3 }),
      params: fc.array(hostileName, { maxLength: 2 }),
      constants: nameRecord(anyNumber),
      definitions: nameRecord(expression),
      equations: nameRecord(expression),
      network: fc.record({ sizes: fc.array(fc.constantFrom(1, 2, 3, 10, 1e10, 0, -1, 2.5), { maxLength: 4 }) }),
    },
    { requiredKeys: ['states', 'equations'] },
  )
  .chain((m) =>
    // Often: one equation per state, so that the checks reach deeper.
    fc.boolean().map((complete) => {
      if (!complete) return m;
      const equations: Record<string, string> = {};
      const exprs = Object.values(m.equations);
      m.states.forEach((s, i) => Object.defineProperty(equations, s, { value: exprs[i] ?? '-1', enumerable: true, writable: true, configurable: true }));
      return { ...m, equations };
    }),
  );

const builtinModel = fc.oneof(
  fc.record({ builtin: fc.constant('nbody'), bodies: fc.constantFrom(2, 3, 1e9, 1e15, 1e6, 0, 2.5, -3, Infinity) }),
  fc.record({ builtin: fc.constantFrom('nbody', 'lotka_volterra', 'nbodyy', '__proto__'), bodies: fc.constantFrom(2, 3), dims: fc.constantFrom(2, 3, 4) }),
);

/** A model that passes, so that the generated rest of the spec is what gets checked. */
const validModel = fc.record({
  states: fc.constantFrom(['x', 'y'], ['valueOf', 'constructor'], ['toString', 'hasOwnProperty', 'x']),
  params: fc.constant(['k']),
}).map(({ states, params }) => {
  const equations: Record<string, string> = {};
  states.forEach((s, i) => Object.defineProperty(equations, s, { value: i === 0 ? `-k*${s}` : states[0], enumerable: true, writable: true, configurable: true }));
  return { states, params, equations };
});

/** An array nested n deep, built without recursion. */
const deepArray = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};

const times = fc.oneof(
  fc.array(anyNumber, { maxLength: 4 }),
  fc.record({ start: anyNumber, stop: anyNumber, count: fc.constantFrom(2, 10, 1e8, 1e12, 0, 2.5) }),
  fc.constantFrom('01', '0..1', null),
);

/** Specs of every kind of damage (below). */
const hostileSpec: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    model: fc.oneof({ arbitrary: validModel, weight: 3 }, { arbitrary: equationModel, weight: 2 }, { arbitrary: builtinModel, weight: 1 }),
    initial: fc.oneof(nameRecord(anyNumber), fc.array(anyNumber, { maxLength: 3 }), fc.constant([1, 0.5]), fc.constant([1, 0.5, 0]), fc.constant(deepArray(200))),
    params: fc.oneof(nameRecord(fc.oneof(anyNumber, fc.record({ value: anyNumber, bounds: fc.constant([0, 10]) }))), fc.constant({ k: { value: 1, bounds: [0, 10] } })),
    times,
    t0: anyNumber,
    solver: fc.record(
      {
        method: fc.constantFrom('dopri5', 'rk4', 'tsit5', 'dopri', 'constructor'),
        rtol: fc.constantFrom(0, 1e-20, 1e-6, -1, 1, Infinity),
        atol: fc.constantFrom(0, 1e-9, -1),
        maxSteps: fc.constantFrom(1, 100, 1e9, 0.5),
        rtoll: fc.constant(1e-6),
      },
      { requiredKeys: [] },
    ),
    loss: fc.record({ weights: nameRecord(anyNumber) }, { requiredKeys: [] }),
    observations: nameRecord(expression),
    optimizer: fc.record({ iterations: fc.constantFrom(1, -1, 1e9, 0) }, { requiredKeys: [] }),
    iteration: fc.constant(2),
  },
  { requiredKeys: ['model'] },
);

const cell = fc.oneof(
  { arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String), weight: 8 },
  { arbitrary: fc.constantFrom('', 'NA', '1e999', '-1e999', 'abc', '"2"', '0x1', ' 4 '), weight: 1 },
);

/** A file of the right shape (t, x, y; increasing times) whose cells are sometimes hostile. */
const shapedCsv = fc
  .array(fc.tuple(fc.double({ min: 1e-3, max: 10, noNaN: true }), cell, cell), { minLength: 1, maxLength: 10 })
  .map((rows) => {
    let t = 0;
    return ['t,x,y', ...rows.map(([dt, x, y]) => `${(t += dt)},${x},${y}`)].join('\n');
  });

/** CSV text: a header and rows mixing numbers, missing cells, overflowing and malformed ones. */
export const csvText: fc.Arbitrary<string> = fc.oneof(shapedCsv, fc
  .tuple(
    fc.array(fc.constantFrom('t', 'time', 'x', 'y', 'constructor', '__proto__', '', 'x'), { minLength: 1, maxLength: 4 }),
    fc.array(fc.array(fc.oneof(numberText, fc.constantFrom('', 'NA', 'nan', '"1,2"', '"', '1e999', '  3 ', 'abc')), { minLength: 0, maxLength: 5 }), {
      maxLength: 12,
    }),
    fc.constantFrom('\n', '\r\n', '\r'),
    fc.boolean(),
  )
  .map(([header, rows, eol, comment]) => [...(comment ? ['# made by hand'] : []), header.join(','), ...rows.map((r) => r.join(','))].join(eol)));

/** A line of a batch runs file. */
export const runLine: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.constantFrom('{', '[]', 'null', '42', '"x"', '{"kind": 1}', '{}', '# comment', '', `{"kind":"solve","spec":{"model":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`),
  fc
    .record(
      {
        id: fc.oneof(fc.string(), fc.integer(), fc.constantFrom(null, [], {}, 1.5, '__proto__')),
        kind: fc.constantFrom('grad', 'solve', 'fit', 'frobnicate', 'constructor'),
        spec: fc.constantFrom('model.yaml', '../../etc/passwd', 42),
        data: fc.constantFrom('obs.csv', 7),
        iterations: fc.constantFrom(1, -1, 2.5, 'ten'),
        iteration: fc.constant(2),
        timeoutSeconds: fc.constantFrom(1, 0, -5, 1e12, 'x', Infinity),
        field: fc.constant({ kind: 'constructor' }),
        trajectories: fc.constantFrom([], [{ y0: [1] }], 'abc'),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);

/**
 * A spec as a plain value (written as YAML, so that Infinity and NaN survive as .inf and .nan):
 * either damaged anywhere, or a valid spec with at most one key taken from a damaged one, so that
 * every check is reached and valid specs are tried too.
 */
export const spec: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  hostileSpec,
  fc.tuple(validModel, hostileSpec, fc.constantFrom('none', 'initial', 'params', 'times', 't0', 'solver', 'loss', 'observations', 'optimizer')).map(([model, damaged, key]) => {
    const base: Record<string, unknown> = { model, initial: [1, 0.5, 0].slice(0, model.states.length), params: { k: { value: 1, bounds: [0, 10] } }, times: [0, 0.5, 1] };
    if (key !== 'none' && damaged[key] !== undefined) base[key] = damaged[key];
    return base;
  }),
);
