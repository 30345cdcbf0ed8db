// From a file's lines to source records: header names become fields (a dotted header such as
// `location.city` becomes a nested field, as mapping paths expect), and every record says where in
// the file it came from. Header names come from whoever wrote the file, so a record is built with
// no path to a prototype: the segments that lead to one are refused, and every object of a record
// has none.
import type { RejectedRecord } from '../types.js';
import type { CsvEntry } from './csv.js';

/** The field of a file record that names its file and line; the engine reports it with failures. */
export const SOURCE_FIELD = '_source';

/** Path segments that reach an object's prototype or constructor instead of a field of its own. */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Header names as the file has them, without surrounding spaces. */
export const headerOf = (fields: string[]): string[] => fields.map((name) => name.trim());

/** The fields a job reads that the header lacks. */
export function missingColumns(header: string[], fields: string[]): string[] {
  const present = new Set(header);
  return fields.filter((field) => field !== SOURCE_FIELD && !present.has(field));
}

/** Header names with a segment (`__proto__`, `constructor`, `prototype`) no record field may have. */
export function forbiddenColumns(header: string[]): string[] {
  return header.filter((name) => name.split('.').some((segment) => FORBIDDEN_SEGMENTS.has(segment)));
}

/** Why a header with such columns cannot be read into records, naming them and the fix. */
export function forbiddenColumnsReason(columns: string[]): string {
  const names = columns.map((c) => `"${c}"`).join(', ');
  return `The column${columns.length === 1 ? '' : 's'} ${names} cannot be read: __proto__, constructor and prototype are not allowed as field names or parts of dotted ones; rename ${columns.length === 1 ? 'it' : 'them'} in the header`;
}

export const sourceIdOf = (file: string, line: number) => `${file} line ${line}`;

export type FileRecord = { ok: true; record: Record<string, unknown> } | { ok: false; rejected: RejectedRecord };

/** A record, or the rejection of a line that is not one (unreadable, or the wrong number of fields). */
export function recordOf(header: string[], entry: Pick<CsvEntry, 'line' | 'fields' | 'problem'>, file: string): FileRecord {
  const sourceId = sourceIdOf(file, entry.line);
  const fields = entry.fields;
  if (!fields) return { ok: false, rejected: { sourceId, reason: entry.problem ?? 'the line could not be read', record: {} } };
  if (fields.length !== header.length) {
    const reason = `the line has ${fields.length} field${fields.length === 1 ? '' : 's'} where the header has ${header.length}; check for an unquoted delimiter or a missing value`;
    return { ok: false, rejected: { sourceId, reason, record: { fields } } };
  }
  // Connectors refuse such a header before reading a line; this holds for any caller all the same.
  const forbidden = forbiddenColumns(header);
  if (forbidden.length > 0) return { ok: false, rejected: { sourceId, reason: forbiddenColumnsReason(forbidden), record: { fields } } };
  const record = emptyRecord();
  header.forEach((name, i) => place(record, name, fields[i]!));
  record[SOURCE_FIELD] = sourceId;
  return { ok: true, record };
}

const emptyRecord = (): Record<string, unknown> => Object.create(null) as Record<string, unknown>;

function place(record: Record<string, unknown>, name: string, value: string): void {
  const path = name.split('.');
  let target = record;
  for (const segment of path.slice(0, -1)) {
    const next = Object.hasOwn(target, segment) ? target[segment] : undefined;
    if (next === undefined) target = target[segment] = emptyRecord();
    else if (typeof next === 'object' && next !== null) target = next as Record<string, unknown>;
    else return;
  }
  target[path.at(-1)!] = value;
}
