// A run keeps PostgreSQL's statistics of the tables it reads fresh itself, whatever autovacuum does:
// a table that grew from empty without an ANALYZE is planned as if empty, and each page's lookups
// then read the whole table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client.js';
import { refreshStatistics } from '../activities/statistics.js';
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

  it('analyzes a table that changed by half since its last ANALYZE, and leaves a fresh one alone', async () => {
    const { sql } = database;
    // Wherever autovacuum is on, it must not analyze first.
    await sql`alter table person set (autovacuum_enabled = false)`;
    await sql`alter table company set (autovacuum_enabled = false)`;
    await sql`insert into person (gsid, email) select 'p-' || i, 'user' || i || '@example.com' from generate_series(1, 20000) as i`;
    await sql`insert into company (gsid, name) select 'c-' || i, 'Company ' || i from generate_series(1, 100) as i`;
    // PostgreSQL publishes a backend's table counters within about a second.
    await eventually('the inserts to show in pg_stat_user_tables', async () => ((await changedSinceAnalyze('person')).changed >= 20000 ? true : null));

    expect(await refreshStatistics(sql, ['company', 'person'])).toEqual(['person']);
    const person = await changedSinceAnalyze('person');
    expect(person.changed).toBe(0);
    expect(person.analyzed).not.toBeNull();
    const [planned] = await sql<{ reltuples: number }[]>`select reltuples from pg_class where relname = 'person'`;
    expect(planned!.reltuples).toBe(20000);
    // 100 new companies are fewer than the 5,000 changed rows worth an ANALYZE.
    expect((await changedSinceAnalyze('company')).analyzed).toBeNull();

    await sql`insert into person (gsid, email) select 'q-' || i, 'other' || i || '@example.com' from generate_series(1, 6000) as i`;
    await eventually('the second inserts to show', async () => ((await changedSinceAnalyze('person')).changed >= 6000 ? true : null));
    // 6,000 of 26,000 rows changed: under half, the statistics are still good enough.
    expect(await refreshStatistics(sql, ['person'])).toEqual([]);
  });
});
