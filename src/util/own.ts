/**
 * Name tables keyed by user input (state names, function names, weights) must not see what
 * Object.prototype holds: a state named `constructor` or a function called `valueOf` would
 * otherwise find an inherited function. These helpers make such tables without a prototype and
 * read plain objects by own properties only.
 */

/** A frozen table with no prototype: `table.constructor` is undefined unless it is an entry. */
export function nullProtoTable<V>(entries: Iterable<readonly [string, V]>): Readonly<Record<string, V>> {
  const table = Object.create(null) as Record<string, V>;
  // defineProperty, not assignment: an entry named __proto__ stays an ordinary entry.
  for (const [key, value] of entries) Object.defineProperty(table, key, { value, enumerable: true, writable: false, configurable: false });
  return Object.freeze(table);
}

/** A copy of a plain object's own enumerable entries, without a prototype (mutable). */
export function ownRecord<V>(record: Readonly<Record<string, V>>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const key of Object.keys(record)) {
    Object.defineProperty(out, key, { value: record[key], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `record[key]` when it is an own property, else undefined. */
export function ownValue<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
