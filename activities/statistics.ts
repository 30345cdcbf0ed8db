// PostgreSQL plans a page's lookups (a thousand keys joined to an object's table) from the
// table's statistics. A table that grew from empty to a million rows without an ANALYZE keeps
// statistics of an empty one, and the plan then reads the whole table for every page: on a server
// with autovacuum off (this project's machine) a second million-user import slowed from ~10,000
// to ~2,000 records a second, each page scanning every person. Autovacuum normally re-analyzes
// after 10% of a table changed, but a sync must not depend on how the server is tuned, so the
// page loop re-analyzes a table it reads once it holds twice the rows PostgreSQL last counted
// (and at least MIN_ROWS): a handful of times as a table grows from empty to millions.
//
// Only the columns the run's statements search by are analyzed. The plans need the table's size
// and those columns' statistics; the rest (names, dates) cost two thirds of a full ANALYZE's time
// (person: 219 ms against 87 ms at 190,000 rows), which came out of every page's budget. An email
// is searched as `lower(email)`, whose statistics only a full ANALYZE gathers (from the index on
// the expression); the planner needs none for the default Person Resolution Key, whose unique
// one-column index tells it one row per key, but any other search by email analyzes the table whole.
// Growth is judged against reltuples because a column list leaves n_mod_since_analyze as it was; a
// table that only changes in place keeps the statistics it has, which still describe its keys.
import type { FieldDef } from '../sync/objects.js';
import type { Sql } from '../db/client.js';
import type { SyncPlan } from '../sync/plan.js';
import { textArray } from './sql.js';

const MIN_ROWS = 5_000;
const GROWTH = 2;

/** A table a run searches, and the columns it searches it by; null columns: the whole table. */
export interface SearchedTable {
  table: string;
  columns: string[] | null;
}

/** The tables a run of this plan looks rows up in: its objects by their keys, lookups' objects by their match fields, and the job's open failures that each page closes. */
export function tablesReadBy(plan: SyncPlan): SearchedTable[] {
  const searched = new Map<string, FieldDef[]>();
  const add = (table: string, fields: FieldDef[]) => searched.set(table, [...(searched.get(table) ?? []), ...fields]);
  add(plan.object.name, plan.keyFields);
  if (plan.person && plan.personKey) add(plan.person.name, plan.personKey);
  for (const lookup of plan.lookups) add(lookup.object.name, lookup.matchFields.map((m) => m.field));
  const uniqueEmailKey = plan.person && plan.personKey?.length === 1 && plan.personKey[0]!.type === 'email' ? plan.personKey[0]!.name : null;
  const coveredByKeyIndex = (table: string, field: FieldDef) => table === plan.person?.name && field.name === uniqueEmailKey;
  const tables = [...searched].map(([table, fields]) => ({
    table,
    columns: fields.some((f) => f.type === 'email' && !coveredByKeyIndex(table, f)) ? null : [...new Set(fields.map((f) => f.name))].sort(),
  }));
  return [...tables, { table: 'open_failures', columns: ['job_id', 'source_id'] }].sort((a, b) => a.table.localeCompare(b.table));
}

/** Analyzes those of `tables` that grew past what PostgreSQL planned them by; answers the ones it analyzed. */
export async function refreshStatistics(sql: Sql, tables: SearchedTable[]): Promise<string[]> {
  // reltuples is -1 for a table never analyzed nor vacuumed.
  const stale = await sql<{ relname: string }[]>`
    select s.relname from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = current_schema() and s.relname = any(${textArray(tables.map((t) => t.table))}::text[])
      and s.n_live_tup >= greatest(${MIN_ROWS}::float8, ${GROWTH}::float8 * greatest(c.reltuples, 0))`;
  for (const { relname } of stale) {
    const { columns } = tables.find((t) => t.table === relname)!;
    await (columns ? sql`analyze ${sql(relname)} (${sql(columns)})` : sql`analyze ${sql(relname)}`);
  }
  return stale.map((s) => s.relname);
}
