import type postgres from 'postgres';
// Small helpers for the metadata-driven statements of the engine. Identifiers only ever come from
// object metadata and are escaped by the driver; values are always bound parameters.
import type { Tx as Sql } from '../db/client.js';
import { columnTypeOf, type FieldDef } from '../sync/objects.js';
import type { Value } from '../sync/transform.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fragments of any row shape compose
type Fragment = postgres.PendingQuery<any>;

/** The SQL type a text parameter is cast to before it meets the field's column (a fixed list). */
export function castOf(field: FieldDef): string {
  if (field.type === 'number') return field.integer ? 'integer' : 'double precision';
  return columnTypeOf(field.type);
}

export function toText(value: Value | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * A `text[]` parameter (the statement casts it) as PostgreSQL's array literal. Written here
 * rather than by postgres.js, whose serialiser runs two regular expressions over every element:
 * on the path of every page's commit, the largest piece of the worker's own work there.
 */
export function textArray(values: (string | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    // Quoted, so that commas, braces, blanks and the text "NULL" stay what they are.
    parts[i] = value === null || value === undefined ? 'NULL' : `"${value.includes('\\') || value.includes('"') ? value.replace(/[\\"]/g, '\\$&') : value}"`;
  }
  return `{${parts.join(',')}}`;
}

export function join(sql: Sql, parts: Fragment[], separator: string): Fragment {
  return parts.reduce<Fragment>((acc, part, i) => (i === 0 ? part : sql`${acc}${sql.unsafe(separator)}${part}`), sql``);
}

/** `t.col = k.v::type`, or a case-insensitive comparison for email fields. */
export function matches(sql: Sql, table: string, field: FieldDef, keyAlias: string, keyColumn: string): Fragment {
  const column = sql`${sql(table)}.${sql(field.name)}`;
  const value = sql`${sql(keyAlias)}.${sql(keyColumn)}`;
  if (field.type === 'email') return sql`lower(${column}) = lower(${value})`;
  return sql`${column} = ${value}::${sql.unsafe(castOf(field))}`;
}

/** A stable identity for key values, matching how the database compares them. */
export function keyString(fields: FieldDef[], values: (Value | undefined)[]): string {
  // One field is the common case, a thousand times a page: a prefix tells null from text without
  // building an array and its JSON.
  if (values.length === 1) {
    const text = keyPart(fields[0]!, values[0]);
    return text === null ? 'n' : `s${text}`;
  }
  return JSON.stringify(values.map((v, i) => keyPart(fields[i]!, v)));
}

function keyPart(field: FieldDef, value: Value | undefined): string | null {
  const text = toText(value);
  return text !== null && field.type === 'email' ? text.toLowerCase() : text;
}

/**
 * Statements sent together on a transaction (postgres.js pipelines them), awaited until every one
 * has settled, then the first refusal thrown: thrown earlier, the transaction or savepoint would
 * roll back while a statement still to be sent could follow the rollback and run outside it.
 */
export async function allSettledOrThrow<T extends readonly unknown[]>(statements: [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const results = await Promise.allSettled(statements);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
