// The source of a retry: the failed records of one run, or every record failing now for a job (its
// open failures), read back from what the runs kept of them; either way only records failing now.
// The connector is not asked again, so a retry never re-reads millions of records to reach the few
// that failed, nor moves the watermark.
import type { Sql } from '../db/client.js';
import type { ReadPage, RejectedRecord } from '../connectors/types.js';

/** A run's failed records (parentRunId), or all of the job's open failures (null). */
export interface RetryScope {
  jobId: string;
  parentRunId: string | null;
}

interface RetryCursor {
  /** The last failure read. */
  after: number;
  /** Failures recorded after the retry began (its own among them) are not read again. */
  until: number;
}

const DEFAULT_PAGE_SIZE = 1000;

interface StoredFailure {
  id: string;
  source_id: string | null;
  record: Record<string, unknown> | null;
  record_truncated: boolean;
  rejected: boolean;
}

export class FailedRecords {
  constructor(
    private readonly sql: Sql,
    private readonly scope: RetryScope,
  ) {}

  async readPage(cursor: unknown, pageSize = DEFAULT_PAGE_SIZE): Promise<ReadPage> {
    const at = (cursor as RetryCursor | null) ?? { after: 0, until: await this.newestFailure() };
    const rows = await this.failures(at, pageSize);
    const records: Record<string, unknown>[] = [];
    const rejected: RejectedRecord[] = [];
    for (const row of rows) {
      const why = notRetryable(row);
      // Passed on as it was kept (no source id made up for it, its stored record and truncation kept),
      // so the retry's failure says the same and a later retry refuses it the same way.
      if (why) rejected.push({ sourceId: row.source_id, reason: why, record: row.record ?? {}, truncated: row.record_truncated });
      else records.push(row.record!);
    }
    const last = rows.at(-1);
    return { records, rejected, nextCursor: rows.length < pageSize || !last ? null : ({ after: Number(last.id), until: at.until } satisfies RetryCursor) };
  }

  private async newestFailure(): Promise<number> {
    const [row] = await this.sql<{ id: string | null }[]>`select max(id)::text as id from run_errors`;
    return Number(row?.id ?? 0);
  }

  /**
   * A run's retry takes those of its failures that still fail, each as it fails now: the job's open
   * failure of that source id (a later run may have failed it again, with a newer record). A record
   * a later run has written since is not written again from an older copy; a failure without a
   * source id cannot be followed, so it is taken as the run kept it.
   */
  private failures(at: RetryCursor, limit: number): Promise<StoredFailure[]> {
    const { sql, scope } = this;
    if (scope.parentRunId !== null) {
      return sql<StoredFailure[]>`
        select id::text, source_id, record, record_truncated, rejected from (
          select e.id, e.source_id, e.record, e.record_truncated, e.rejected
          from open_failures o join run_errors e on e.id = o.error_id
          where o.job_id = ${scope.jobId}
            and o.source_id in (select source_id from run_errors where run_id = ${scope.parentRunId} and source_id is not null)
            and e.id > ${at.after} and e.id <= ${at.until}
          union all
          select id, source_id, record, record_truncated, rejected from run_errors
          where run_id = ${scope.parentRunId} and source_id is null and id > ${at.after} and id <= ${at.until}
        ) failing
        order by failing.id limit ${limit}`;
    }
    return sql<StoredFailure[]>`
      select e.id::text, e.source_id, e.record, e.record_truncated, e.rejected
      from open_failures o join run_errors e on e.id = o.error_id
      where o.job_id = ${scope.jobId} and e.id > ${at.after} and e.id <= ${at.until}
      order by e.id limit ${limit}`;
  }
}

/** Why a kept failure cannot be processed again, if it cannot. */
function notRetryable(row: StoredFailure): string | null {
  if (row.rejected) return 'could not be retried: the source could not read it as a record; fix it at the source (a corrected file) and read it again';
  if (row.record_truncated) return 'could not be retried: the record was larger than a failure keeps (64 KB), so only its beginning was stored; read it again from the source';
  if (row.record === null || typeof row.record !== 'object') return 'could not be retried: no source record was kept with this failure';
  return null;
}
