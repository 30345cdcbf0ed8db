// One page, committed whole or not at all: its upserts, its record errors, its counts and the
// cursor of the next page land in one transaction. A retried page therefore never double-counts.
import type { Sql, Tx } from '../db/client.js';
import type { ReadPage } from '../connectors/types.js';
import type { SyncPlan } from '../sync/plan.js';
import { FINAL_STATUSES, type RunCounts, type RunStatus } from '../sync/types.js';
import { transformPage, type RecordFailure, type TransformResult } from '../sync/transform.js';
import { writeIsolated } from './isolate.js';
import { lockObjects } from './upsert.js';
import { storedFailures } from './stored-failures.js';
import { allSettledOrThrow, textArray } from './sql.js';

/** A page read from the source, filtered, mapped and converted: all that needs no database. */
export interface PreparedPage extends ReadPage {
  transformed: TransformResult;
}

export interface PageInput extends PreparedPage {
  runId: string;
  jobId: string;
  /** The page number this attempt believes comes next; another attempt got there first otherwise. */
  pageNo: number;
  plan: SyncPlan;
}

/** Records prepared between two looks at the event loop. */
const PREPARE_SLICE = 100;

/**
 * Pure JavaScript, so the page loop runs it as soon as a page arrives: it then overlaps the
 * previous page's statements, which keep the worker waiting on PostgreSQL otherwise. In slices,
 * with the event loop let in between: a thousand records in one go kept each answer PostgreSQL
 * gave the previous page's commit waiting until the whole page was mapped.
 */
export async function preparePage(page: ReadPage, plan: SyncPlan, keep: (record: unknown) => boolean, idField: string): Promise<PreparedPage> {
  const transformed: TransformResult = { filtered: 0, filteredIds: [], prepared: [], failures: [] };
  for (let start = 0; start < page.records.length; start += PREPARE_SLICE) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    const part = transformPage(page.records.slice(start, start + PREPARE_SLICE), plan, keep, idField);
    transformed.filtered += part.filtered;
    transformed.filteredIds.push(...part.filteredIds);
    transformed.prepared.push(...part.prepared);
    transformed.failures.push(...part.failures);
  }
  return { ...page, transformed };
}

export type PageCounts = RunCounts;

export class PageAlreadyCommitted extends Error {
  constructor(runId: string, pageNo: number) {
    super(`page ${pageNo} of run ${runId} was committed by another attempt; resuming from the stored cursor`);
  }
}

/** A page of a run that already ended (say, cancelled while an older attempt still ran) is dropped. */
export class RunAlreadyEnded extends Error {
  constructor(runId: string, status: string) {
    super(`run ${runId} already ended (${status}); its page is not committed`);
  }
}

export async function commitPage(sql: Sql, input: PageInput): Promise<PageCounts> {
  const { plan, transformed } = input;
  return sql.begin(async (tx) => {
    // Sent together (postgres.js pipelines a transaction's statements), the run's row first, as
    // before: a page that another attempt committed only took the object locks in a transaction
    // that rolls back.
    const runRow = tx<{ pages: number; status: string }[]>`select pages, status from runs where id = ${input.runId} for update`.execute();
    const [[run]] = await Promise.all([runRow, lockObjects(tx, plan)]);
    if (run && FINAL_STATUSES.includes(run.status as RunStatus)) throw new RunAlreadyEnded(input.runId, run.status);
    if (!run || run.pages !== input.pageNo) throw new PageAlreadyCommitted(input.runId, input.pageNo);
    const rejected = (input.rejected ?? []).map((r): RecordFailure => ({ sourceId: r.sourceId, keyValues: {}, reason: r.reason, source: r.record, rejected: true, truncated: r.truncated === true }));
    const written = await writeIsolated(tx, plan, transformed.prepared);
    const failures = [...rejected, ...transformed.failures, ...written.failures];
    const failed = new Set(failures.map((f) => f.source));
    const closed = transformed.prepared.flatMap((r) => (failed.has(r.source) || r.sourceId === null ? [] : [r.sourceId]));
    const counts: PageCounts = {
      fetched: input.records.length + rejected.length,
      filtered: transformed.filtered,
      ...written.counts,
      failed: failures.length,
    };
    // Everything that can throw here is worked out before the first statement goes.
    const cursor = input.nextCursor === null ? null : JSON.stringify(input.nextCursor);
    const sourceUsage = input.sourceUsage === undefined ? null : JSON.stringify(input.sourceUsage);
    // The page's bookkeeping needs nothing back but the failures' ids, so it goes in one pipeline.
    const bookkeeping: Promise<unknown>[] = [
      closeOpenFailures(tx, input, [...closed, ...transformed.filteredIds]),
      keepFailures(tx, input, failures).then((kept) => openFailures(tx, input, kept)),
      tx`
      update runs set
        fetched = fetched + ${counts.fetched}, filtered = filtered + ${counts.filtered},
        inserted = inserted + ${counts.inserted}, updated = updated + ${counts.updated},
        unchanged = unchanged + ${counts.unchanged}, failed = failed + ${counts.failed},
        pages = pages + 1,
        cursor = ${cursor}::jsonb,
        source_done = ${input.nextCursor === null},
        source_usage = coalesce(${sourceUsage}::jsonb, source_usage)
      where id = ${input.runId}`.execute(),
    ];
    if (input.file !== undefined) bookkeeping.push(countFile(tx, input.runId, input.file, input.pageNo, counts));
    await allSettledOrThrow(bookkeeping);
    await input.commit?.(tx);
    return counts;
  }) as Promise<PageCounts>;
}

async function countFile(tx: Tx, runId: string, file: string, pageNo: number, c: PageCounts): Promise<void> {
  await tx`
    insert into run_files (run_id, file, first_page, fetched, filtered, inserted, updated, unchanged, failed)
    values (${runId}, ${file}, ${pageNo}, ${c.fetched}, ${c.filtered}, ${c.inserted}, ${c.updated}, ${c.unchanged}, ${c.failed})
    on conflict (run_id, file) do update set
      fetched = run_files.fetched + excluded.fetched, filtered = run_files.filtered + excluded.filtered,
      inserted = run_files.inserted + excluded.inserted, updated = run_files.updated + excluded.updated,
      unchanged = run_files.unchanged + excluded.unchanged, failed = run_files.failed + excluded.failed`;
}

/** The page's failures in run_errors; answers their ids and source ids. */
async function keepFailures(tx: Tx, input: PageInput, failures: RecordFailure[]): Promise<{ id: string; source_id: string | null }[]> {
  if (failures.length === 0) return [];
  const stored = storedFailures(failures);
  const column = (values: (string | null)[]) => textArray(values);
  return tx<{ id: string; source_id: string | null }[]>`
    insert into run_errors (run_id, page, source_id, key_values, reason, record, record_truncated, rejected)
    select ${input.runId}, ${input.pageNo}, u.source_id, u.key_values::jsonb, u.reason, u.record::jsonb, u.truncated::boolean, u.rejected::boolean
    from unnest(
      ${column(stored.map((f) => f.sourceId))}::text[], ${column(stored.map((f) => f.keyValues))}::text[],
      ${column(stored.map((f) => f.reason))}::text[], ${column(stored.map((f) => f.record))}::text[],
      ${column(stored.map((f) => String(f.truncated)))}::text[], ${column(stored.map((f) => String(f.rejected)))}::text[]
    ) as u(source_id, key_values, reason, record, truncated, rejected)
    returning id::text, source_id`;
}

/**
 * The job's open failures follow the page: what it wrote or its filters now drop is no longer
 * failing, what failed now is (its latest failure, when one source id fails twice in a page).
 */
async function closeOpenFailures(tx: Tx, input: PageInput, closed: string[]): Promise<void> {
  // Joined with the page's ids rather than `= any($ids)`: a plan made while the table was small
  // would test each of the job's open failures against every id of the page, a thousand times
  // the work per page (1,000,000 users with 3% failing: ~2,900 records/s instead of ~10,000).
  if (closed.length > 0) {
    await tx`delete from open_failures o using unnest(${textArray(closed)}::text[]) as u(source_id) where o.job_id = ${input.jobId} and o.source_id = u.source_id`;
  }
}

/** Sent after closeOpenFailures, so that a source id closed and failed in one page stays open. */
async function openFailures(tx: Tx, input: PageInput, failed: { id: string; source_id: string | null }[]): Promise<void> {
  const latest = new Map<string, string>();
  for (const f of failed) if (f.source_id !== null && Number(f.id) > Number(latest.get(f.source_id) ?? 0)) latest.set(f.source_id, f.id);
  if (latest.size === 0) return;
  await tx`
    insert into open_failures (job_id, source_id, error_id, run_id)
    select ${input.jobId}, u.source_id, u.error_id::bigint, ${input.runId}
    from unnest(${textArray([...latest.keys()])}::text[], ${textArray([...latest.values()])}::text[]) as u(source_id, error_id)
    on conflict (job_id, source_id) do update set error_id = excluded.error_id, run_id = excluded.run_id, failed_at = now()`;
}
