// What is failing now, and what a retry of it is: a job's open failures (the latest failure of each
// source record no later run wrote), counted by reason, and the triggers of the two retries (one
// run's failed records, or all a job's open failures). The API and the console share these.
import { and, desc, eq, lt, sql as dsql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { jobs, openFailures, runErrors, runs, type JobRow } from '../db/schema.js';
import { FINAL_STATUSES, type RunStatus } from '../sync/types.js';
import type { TriggerRequest } from '../workflows/types.js';
import { conflict, notFound } from '../api/errors.js';

const EPOCH = new Date(0).toISOString();

export interface OpenFailure {
  errorId: number;
  sourceId: string;
  reason: string;
  keyValues: Record<string, unknown>;
  runId: string;
  failedAt: Date;
  /** False when no whole source record was kept (an unreadable line, a record over 64 KB). */
  retryable: boolean;
}

/** A page of the job's open failures, newest first, before the given error id. */
export async function openFailuresPage(db: Db, jobId: string, before: number | null, limit: number): Promise<{ items: OpenFailure[]; more: boolean }> {
  const rows = await db
    .select({ errorId: openFailures.errorId, sourceId: openFailures.sourceId, runId: openFailures.runId, failedAt: openFailures.failedAt, reason: runErrors.reason, keyValues: runErrors.keyValues, truncated: runErrors.recordTruncated, rejected: runErrors.rejected })
    .from(openFailures)
    .innerJoin(runErrors, eq(runErrors.id, openFailures.errorId))
    .where(and(eq(openFailures.jobId, jobId), before !== null ? lt(openFailures.errorId, before) : undefined))
    .orderBy(desc(openFailures.errorId))
    .limit(limit + 1);
  return {
    items: rows.slice(0, limit).map((r) => ({ errorId: r.errorId, sourceId: r.sourceId, reason: r.reason, keyValues: r.keyValues as Record<string, unknown>, runId: r.runId, failedAt: r.failedAt, retryable: !r.truncated && !r.rejected })),
    more: rows.length > limit,
  };
}

/** The job's open failures counted by what failed, most first; the part of a reason before its first ": " names it (a field, a lookup), not the value. */
export async function openFailureReasons(db: Db, jobId: string): Promise<{ reason: string; count: number }[]> {
  const kind = dsql<string>`split_part(${runErrors.reason}, ': ', 1)`;
  return db
    .select({ reason: kind, count: dsql<number>`count(*)::int` })
    .from(openFailures)
    .innerJoin(runErrors, eq(runErrors.id, openFailures.errorId))
    .where(eq(openFailures.jobId, jobId))
    .groupBy(kind)
    .orderBy(desc(dsql`count(*)`));
}

async function jobOf(db: Db, id: string): Promise<JobRow> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  if (!row) throw notFound('Job', id);
  return row;
}

/** The retry of one ended run's failed records: 404 for no such run, 409 while it runs or when none failed. */
export async function runRetry(db: Db, runId: string): Promise<{ job: JobRow; trigger: TriggerRequest }> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw notFound('Run', runId);
  if (!FINAL_STATUSES.includes(run.status as RunStatus)) throw conflict('run_not_finished', `Run ${run.id} is still ${run.status}; retry its failed records once it has ended.`);
  if (run.failed === 0) throw conflict('nothing_to_retry', `Run ${run.id} has no failed records to retry.`);
  // A retry takes the run's failures that still fail (activities/failed-records.ts).
  const [failing] = await db.execute<{ still: boolean }>(dsql`
    select exists (
      select 1 from run_errors e
      where e.run_id = ${run.id}
        and (e.source_id is null or exists (select 1 from open_failures o where o.job_id = ${run.jobId} and o.source_id = e.source_id))
    ) as still`);
  if (!failing?.still) throw conflict('nothing_to_retry', `Every record run ${run.id} failed has been written or filtered out since; nothing of it fails now.`);
  const window = { from: run.windowFrom?.toISOString() ?? EPOCH, to: run.windowTo?.toISOString() ?? null };
  return { job: await jobOf(db, run.jobId), trigger: { trigger: 'retry_failed', parentRunId: run.id, window } };
}

/** The retry of all a job's open failures: 404 for no such job, 409 when nothing fails now. */
export async function jobRetry(db: Db, jobId: string): Promise<{ job: JobRow; trigger: TriggerRequest }> {
  const job = await jobOf(db, jobId);
  const [open] = await db.select({ n: dsql<number>`count(*)::int` }).from(openFailures).where(eq(openFailures.jobId, job.id));
  if (!open || open.n === 0) throw conflict('nothing_to_retry', `Job "${job.name}" has no open failures to retry.`);
  return { job, trigger: { trigger: 'retry_failed', parentRunId: null, window: { from: EPOCH, to: null } } };
}
