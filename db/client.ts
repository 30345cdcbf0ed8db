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

/**
 * Bounds on what one statement, or a transaction left open, may hold a connection for: a page's
 * statements take milliseconds to seconds, and a client or worker that stalls mid-transaction
 * (a stopped process, a dropped download) must not keep locks and a pool slot for good.
 */
export const STATEMENT_TIMEOUT_MS = 10 * 60_000;
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10 * 60_000;

const TIMESTAMPTZ_OID = 1184;

export function openDatabase(url: string, options: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => undefined,
    connection: {
      application_name: 'syncline',
      // Timestamps come back in UTC, whatever the server's zone, so they read back as written.
      TimeZone: 'UTC',
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
  });
  const db = drizzle(sql, { schema });
  // drizzle hands timestamps through as PostgreSQL writes them ("0001-01-01 00:00:00+00") and
  // then calls `new Date` on them, which reads years 1 to 99 as 1901 to 2099. In ISO 8601 form
  // every year from 1 to 9999 reads back exactly.
  sql.options.parsers[TIMESTAMPTZ_OID] = isoOfTimestamptz;
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** `YYYY-MM-DD HH:MM:SS[.frac]+HH[:MM]` as PostgreSQL writes a timestamptz → ISO 8601. */
export function isoOfTimestamptz(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/.exec(text);
  // Anything else (BC dates, infinity) is handed on as PostgreSQL wrote it.
  if (!match) return text;
  const [, day, time, hours, minutes = '00'] = match;
  return `${day}T${time}${hours}:${minutes}`;
}

/** The engine's statements all run inside one page transaction. */
export type Tx = postgres.TransactionSql;
