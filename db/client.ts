import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import * as schema from './schema.js';

/** `$client` is the raw driver underneath, for the few places handed only `db`. */
export type Db = PostgresJsDatabase<typeof schema> & { $client: Sql };
export type Sql = postgres.Sql;

export interface Database {
  db: Db;
  /**
   * The raw driver, for the metadata-driven statements of the sync engine. drizzle makes it pass
   * json and timestamps through untouched: send JSON as text cast to jsonb, expect ISO strings.
   */
  sql: Sql;
  close(): Promise<void>;
}

export function openDatabase(url: string, options: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => undefined,
    // Dates travel as ISO strings in JSON columns; timestamps as Date objects.
    connection: { application_name: 'syncline' },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** The engine's statements all run inside one page transaction. */
export type Tx = postgres.TransactionSql;
