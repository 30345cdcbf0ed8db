// A run keeps PostgreSQL's statistics of the tables it reads fresh itself, whatever autovacuum does:
// a table that grew from empty without an ANALYZE is planned as if empty, and each page's lookups
// then read the whole table. It analyzes only the columns it searches by, which is what plans need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client.js';
import { refreshStatistics, tablesReadBy } from '../activities/statistics.js';
import { companyPersonSyncTemplate } from '../connectors/gainsight-px/jobs.js';
import { buildObjectMetadata } from '../sync/objects.js';
import { buildPlan } from '../sync/plan.js';
import { createTestDatabase } from './support/databases.js';
import { eventually } from './support/stack.js';

describe('table statistics during a run', () => {
  let database: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    database = openDatabase(created.url);
  });

  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  const changedSinceAnalyze = async (table: string) => {
    const [row] = await database.sql<{ changed: string; analyzed: Date | null }[]>`
      select n_mod_since_analyze as changed, coalesce(last_analyze, last_autoanalyze) as analyzed from pg_stat_user_tables where relname = ${table}`;
    return { changed: Number(row!.changed), analyzed: row!.analyzed };
  };

  const plannedRows = async (table: string) => {
    const [row] = await database.sql<{ reltuples: number }[]>`select reltuples from pg_class where relname = ${table}`;
    return row!.reltuples;
  };
  const liveRows = async (table: string) => {
    const [row] = await database.sql<{ live: string }[]>`select n_live_tup as live from pg_stat_user_tables where relname = ${table}`;
    return Number(row!.live);
  };
  const analyzedColumns = async (table: string) =>
    (await database.sql<{ attname: string }[]>`select attname from pg_stats where schemaname = current_schema() and tablename = ${table} order by attname`).map((r) => r.attname);

  it('analyzes the searched columns of a table that doubled since PostgreSQL last counted it, and leaves a fresh one alone', async () => {
    const { sql } = database;
    // Wherever autovacuum is on, it must not analyze first.
    await sql`alter table person set (autovacuum_enabled = false)`;
    await sql`alter table company set (autovacuum_enabled = false)`;
    await sql`insert into person (gsid, email, first_name) select 'p-' || i, 'user' || i || '@example.com', 'Name ' || i from generate_series(1, 20000) as i`;
    await sql`insert into company (gsid, name) select 'c-' || i, 'Company ' || i from generate_series(1, 100) as i`;
    // PostgreSQL publishes a backend's table counters within about a second.
    await eventually('the inserts to show in pg_stat_user_tables', async () => ((await changedSinceAnalyze('person')).changed >= 20000 ? true : null));

    const searched = [{ table: 'company', columns: ['px_account_id'] }, { table: 'person', columns: ['email'] }];
    expect(await refreshStatistics(sql, searched)).toEqual(['person']);
    expect((await changedSinceAnalyze('person')).analyzed).not.toBeNull();
    expect(await plannedRows('person')).toBe(20000);
    // Only the column the run searches by: a full ANALYZE spent most of its time on the others.
    expect(await analyzedColumns('person')).toEqual(['email']);
    // 100 new companies are fewer than the 5,000 rows worth an ANALYZE.
    expect((await changedSinceAnalyze('company')).analyzed).toBeNull();

    await sql`insert into person (gsid, email) select 'q-' || i, 'other' || i || '@example.com' from generate_series(1, 6000) as i`;
    await eventually('the second inserts to show', async () => ((await liveRows('person')) >= 26000 ? true : null));
    // 26,000 rows planned as 20,000: close enough.
    expect(await refreshStatistics(sql, searched)).toEqual([]);

    await sql`insert into person (gsid, email) select 'r-' || i, 'third' || i || '@example.com' from generate_series(1, 15000) as i`;
    await eventually('the third inserts to show', async () => ((await liveRows('person')) >= 41000 ? true : null));
    // Twice as many as planned: planned anew.
    expect(await refreshStatistics(sql, searched)).toEqual(['person']);
    expect(await plannedRows('person')).toBe(41000);
  });

  it('searches Company Person Sync by its keys only, and analyzes person whole when its email is searched without the one-column unique index', () => {
    const job = { id: 'job_stats', ...companyPersonSyncTemplate('PX', false) };
    expect(tablesReadBy(buildPlan(job, buildObjectMetadata([])))).toEqual([
      { table: 'company', columns: ['px_account_id'] },
      { table: 'company_person', columns: ['company_id', 'person_id'] },
      { table: 'open_failures', columns: ['job_id', 'source_id'] },
      { table: 'person', columns: ['email'] },
    ]);
    // A key of two fields: no one-column unique index on lower(email) tells the planner one row per key.
    const twoFieldKey = tablesReadBy(buildPlan(job, buildObjectMetadata([], ['email', 'last_name'])));
    expect(twoFieldKey.find((t) => t.table === 'person')).toEqual({ table: 'person', columns: null });
  });
});
