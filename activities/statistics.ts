// PostgreSQL plans a page's lookups (a thousand keys joined to an object's table) from the
// table's statistics. A table that grew from empty to a million rows without an ANALYZE keeps
// statistics of an empty one, and the plan then reads the whole table for every page: on a server
// with autovacuum off (this project's machine) a second million-user import slowed from ~10,000
// to ~2,000 records a second, each page scanning every person. Autovacuum normally re-analyzes
// after 10% of a table changed, but a sync must not depend on how the server is tuned, so the
// page loop re-analyzes the tables it reads once they have changed by half since their last
// ANALYZE (and by at least MIN_CHANGED_ROWS): a handful of times as a table grows from empty to
// millions, each sampling 30,000 rows, a fraction of a second.
import type { Sql } from '../db/client.js';
import type { SyncPlan } from '../sync/plan.js';

const MIN_CHANGED_ROWS = 5_000;
const CHANGED_SHARE = 0.5;

/** The tables a run of this plan looks rows up in: its objects, and the job's open failures that each page closes. */
export function tablesReadBy(plan: SyncPlan): string[] {
  return [...new Set([plan.object.name, ...(plan.person ? [plan.person.name] : []), ...plan.lookups.map((l) => l.object.name), 'open_failures'])].sort();
}

/** Analyzes those of `tables` whose statistics are stale; answers the ones it analyzed. */
export async function refreshStatistics(sql: Sql, tables: string[]): Promise<string[]> {
  const stale = await sql<{ relname: string }[]>`
    select relname from pg_stat_user_tables
    where schemaname = current_schema() and relname = any(${sql.array(tables)}::text[])
      and n_mod_since_analyze >= greatest(${MIN_CHANGED_ROWS}::float8, ${CHANGED_SHARE}::float8 * n_live_tup)`;
  for (const { relname } of stale) await sql`analyze ${sql(relname)}`;
  return stale.map((s) => s.relname);
}
