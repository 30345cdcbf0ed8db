// Dotted field paths (`location.cityName`, `customAttributes.seats`) as used by filters and sorts.

export const FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The value at `path`, or undefined; only own properties count, so `constructor` is no field. */
export function readPath(record: object, path: readonly string[]): unknown {
  let value: unknown = record;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
