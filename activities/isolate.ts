// The safety net under the value checks of sync/convert.ts: when PostgreSQL refuses a page's records
// because of what one of them holds, the page is halved until the records it refuses stand alone.
// Those become record failures naming the field; every other record of the page is written, in the
// page's own transaction, so the page still commits exactly once.
import postgres from 'postgres';
import type { Tx } from '../db/client.js';
import type { SyncPlan } from '../sync/plan.js';
import type { PreparedRecord, RecordFailure } from '../sync/transform.js';
import { sourceKeyValues } from '../sync/transform.js';
import { resolveLookups } from './lookups.js';
import { upsertPage, type RecordOutcome, type WriteCounts } from './upsert.js';

export interface Written {
  counts: WriteCounts;
  failures: RecordFailure[];
  /** What each written record did, when asked for (a job preview). */
  outcomes: RecordOutcome[];
}

/**
 * Errors that come with the data rather than with the infrastructure: data exceptions (SQLSTATE
 * class 22, e.g. a number out of range), integrity constraint violations (23) and program limits
 * (54, e.g. an index entry too large). Retrying them cannot help; everything else is retried.
 */
export function isDataError(error: unknown): error is postgres.PostgresError {
  return error instanceof postgres.PostgresError && /^(22|23|54)/.test(error.code);
}

/** Lookups and upserts of `records`, isolating the records PostgreSQL refuses. */
export async function writeIsolated(tx: Tx, plan: SyncPlan, records: PreparedRecord[], observe = false): Promise<Written> {
  try {
    return await tx.savepoint((savepoint) => writeRecords(savepoint, plan, records, observe));
  } catch (error) {
    if (!isDataError(error) || records.length === 0) throw error;
    if (records.length === 1) return { counts: { inserted: 0, updated: 0, unchanged: 0 }, failures: [refusal(plan, records[0]!, error)], outcomes: [] };
    // In source order, so that a later record with the same key still wins.
    const middle = Math.ceil(records.length / 2);
    const first = await writeIsolated(tx, plan, records.slice(0, middle), observe);
    const second = await writeIsolated(tx, plan, records.slice(middle), observe);
    return {
      counts: {
        inserted: first.counts.inserted + second.counts.inserted,
        updated: first.counts.updated + second.counts.updated,
        unchanged: first.counts.unchanged + second.counts.unchanged,
      },
      failures: [...first.failures, ...second.failures],
      outcomes: [...first.outcomes, ...second.outcomes],
    };
  }
}

/** One attempt; its failures and outcomes are kept only if it commits, so a retried half never repeats them. */
async function writeRecords(tx: Tx, plan: SyncPlan, records: PreparedRecord[], observe: boolean): Promise<Written> {
  const failures: RecordFailure[] = [];
  const outcomes: RecordOutcome[] = [];
  const resolved = await resolveLookups(tx, plan, records, failures);
  const counts = await upsertPage(tx, plan, resolved, failures, observe ? outcomes : undefined);
  return { counts, failures, outcomes };
}

/** PostgreSQL names the column for some refusals (a missing value); a table's CHECK names itself. */
function refusal(plan: SyncPlan, record: PreparedRecord, error: postgres.PostgresError): RecordFailure {
  const field = error.column_name;
  const detail = error.detail ? ` (${error.detail})` : '';
  return {
    sourceId: record.sourceId,
    keyValues: sourceKeyValues(record.source, plan),
    reason: `the database refused the record${field ? ` at ${field}` : ''}: ${error.message}${detail}`,
    source: record.source,
  };
}
