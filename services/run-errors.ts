// A run's failed records: as CSV for a download (API and console), and a page at a time for reading.
import { Readable, pipeline, type Transform } from 'node:stream';
import { stringify } from 'csv-stringify';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db, Sql } from '../db/client.js';
import { runErrors } from '../db/schema.js';
import { spreadsheetSafe } from '../api/csv-cells.js';

/**
 * The CSV of a run's failed records, streamed from the rows in batches: a run with a million
 * failures must not be held in memory. `stopped` hears why the stream ended early, if it did.
 */
export function runErrorsCsv(sql: Sql, runId: string, stopped: (error: Error) => void): Transform {
  const csv = stringify({ header: true, columns: ['source_id', 'key_values', 'reason', 'record'] });
  const rows = sql`select source_id, key_values, reason, record from run_errors where run_id = ${runId} order by id`.cursor(1000);
  const source = Readable.from(
    (async function* () {
      for await (const batch of rows) {
        for (const row of batch) yield [row.source_id, JSON.stringify(row.key_values), row.reason, JSON.stringify(row.record)].map(spreadsheetSafe);
      }
    })(),
  );
  // pipeline, not pipe: a client that goes away destroys the CSV stream, and with it the rows'
  // cursor, which otherwise held its database connection for good.
  return pipeline(source, csv, (error) => {
    if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') stopped(error);
  });
}

export const ERRORS_PAGE_SIZE = 50;

/** One page of a run's failed records, in the order they failed; `after` is the last id of the page before. */
export async function runErrorsPage(db: Db, runId: string, after: number | null, limit = ERRORS_PAGE_SIZE) {
  const rows = await db
    .select()
    .from(runErrors)
    .where(and(eq(runErrors.runId, runId), after !== null ? gt(runErrors.id, after) : undefined))
    .orderBy(asc(runErrors.id))
    .limit(limit + 1);
  return { items: rows.slice(0, limit), next: rows.length > limit ? rows[limit - 1]!.id : null };
}
