// `sort=field;-other`: ascending unless prefixed with `-`. As in Elasticsearch, under PX, records
// without a value sort last in both directions; ties keep index order so pages are stable.
import { badRequest } from './http-error.js';
import { FIELD_PATTERN, readPath } from './record-path.js';

export interface SortKey {
  field: string;
  path: readonly string[];
  descending: boolean;
}

type SortValue = number | string | undefined;

export function parseSort(parameter: string | undefined): SortKey[] {
  if (parameter === undefined || parameter === '') return [];
  return parameter.split(';').map((part) => {
    const descending = part.startsWith('-');
    const field = descending ? part.slice(1) : part;
    if (!FIELD_PATTERN.test(field)) throw badRequest(`Malformed sort "${parameter}": expected fields joined by ;, each optionally prefixed with -`);
    return { field, path: field.split('.'), descending };
  });
}

/** Sorts record indexes by the keys; reads each record once. */
export function sortIndexes(indexes: readonly number[], keys: readonly SortKey[], recordAt: (index: number) => object): number[] {
  const columns = keys.map(() => new Array<SortValue>(indexes.length));
  indexes.forEach((index, position) => {
    const record = recordAt(index);
    keys.forEach((key, k) => {
      const column = columns[k];
      if (column !== undefined) column[position] = sortValue(readPath(record, key.path));
    });
  });
  const positions = indexes.map((_index, position) => position);
  positions.sort((a, b) => {
    for (let k = 0; k < keys.length; k++) {
      const column = columns[k];
      const order = column === undefined ? 0 : compareValues(column[a], column[b], keys[k]?.descending ?? false);
      if (order !== 0) return order;
    }
    return a - b;
  });
  return positions.map((position) => indexes[position] ?? -1);
}

function sortValue(value: unknown): SortValue {
  if (Array.isArray(value)) return sortValue(value[0]);
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'boolean') return String(value).toLowerCase();
  return undefined;
}

function compareValues(a: SortValue, b: SortValue, descending: boolean): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  // Numbers before text when one field holds both (custom attributes of the wrong type).
  let order: number;
  if (typeof a === typeof b) order = a < b ? -1 : 1;
  else order = typeof a === 'number' ? -1 : 1;
  return descending ? -order : order;
}
