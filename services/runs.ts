import { and, eq, gte, inArray, isNotNull, isNull, lt, notInArray, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { badRequest } from '../api/errors.js';
import { runs, type RunRow } from '../db/schema.js';
import type { RunStatus, RunTrigger, RunWaiting, StoredError } from '../sync/types.js';

/** How a run's status reads to a person, in the execution log and in notifications. */
export const STATUS_WORDS: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'In Progress',
  success: 'Success',
  partial_success: 'Partial Success',
  failure: 'Failure',
  cancelled: 'Cancelled',
};

/** Runs nobody asked for by name are asked for by these; a client's trigger names its token's owner. */
export function actorOfTrigger(trigger: RunTrigger): string | null {
  return trigger === 'schedule' || trigger === 'dependency' || trigger === 'chain' ? trigger : null;
}

/** Why a run waits, for people and for filters: an outage of its source, a lost worker, or another error. */
export type WaitReason = 'source_unavailable' | 'worker_lost' | 'transient_error';

/** A run's retry state as the API shows it (`waiting`): the attempt Temporal is on, the error before it. */
export interface WaitingView {
  reason: WaitReason;
  attempt: number;
  lastError: StoredError;
  since: string;
  /** When Temporal starts the next attempt; null while one is in progress. */
  nextAttemptAt: string | null;
}

export function waitReasonOf(error: StoredError): WaitReason {
  if (error.code === 'SOURCE_UNAVAILABLE') return 'source_unavailable';
  if (error.code === 'TIMEOUT') return 'worker_lost';
  return 'transient_error';
}

/** The retry state recorded by the failed attempts, for lists, where asking Temporal per run costs too much. */
export function recordedWaiting(waiting: RunWaiting): WaitingView {
  return { reason: waitReasonOf(waiting.lastError), attempt: waiting.attempts + 1, lastError: waiting.lastError, since: waiting.since, nextAttemptAt: null };
}

/**
 * A run as the API shows it. `live` is its retry state from Temporal when the caller asked for it
 * (GET /v1/runs/:id); otherwise the state the failed attempts recorded. A running run that waits
 * on retries reads `retrying`.
 */
export function toRunDocument(row: RunRow, live?: WaitingView | null) {
  const waiting = row.status !== 'running' ? null : live !== undefined ? live : row.waiting ? recordedWaiting(row.waiting) : null;
  return {
    id: row.id,
    jobId: row.jobId,
    chainRunId: row.chainRunId,
    parentRunId: row.parentRunId,
    trigger: row.trigger,
    actor: row.actor ?? actorOfTrigger(row.trigger as RunTrigger),
    status: waiting ? ('retrying' as const) : (row.status as RunStatus),
    waiting,
    waited: row.waited ?? null,
    window: { from: row.windowFrom?.toISOString() ?? null, to: row.windowTo?.toISOString() ?? null },
    counts: { fetched: row.fetched, filtered: row.filtered, inserted: row.inserted, updated: row.updated, unchanged: row.unchanged, failed: row.failed },
    progress: { recordsProcessed: row.fetched, pages: row.pages },
    error: row.error ?? null,
    workflowId: row.workflowId,
    queuedAt: row.queuedAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    ...(row.sourceUsage ? { sourceUsage: row.sourceUsage } : {}),
  };
}

/** Why a run ends when Temporal no longer knows it: nothing else would ever end it. */
export const LOST_RUN_ERROR = {
  code: 'RUN_LOST',
  message:
    "Temporal no longer knows this run: its workflow history was lost (a Temporal server whose data was deleted or restored from an older backup, or a workflow terminated by hand). The run did not finish; what it wrote stays, and the job's watermark did not move. Start it again.",
};

/**
 * Ends as failures the runs of a job still queued or running that its workflow does not know: one
 * run, or every run numbered before `before` except those in `known`. Answers the ids it ended.
 */
export async function endLostRuns(db: Db, jobId: string, which: { runId: string } | { before: number; known: string[] }): Promise<string[]> {
  const ended = await db
    .update(runs)
    .set({ status: 'failure', error: LOST_RUN_ERROR, finishedAt: new Date() })
    .where(
      and(
        eq(runs.jobId, jobId),
        inArray(runs.status, ['queued', 'running']),
        'runId' in which ? eq(runs.id, which.runId) : and(lt(runs.n, which.before), which.known.length > 0 ? notInArray(runs.id, which.known) : undefined),
      ),
    )
    .returning({ id: runs.id });
  return ended.map((r) => r.id);
}

export interface RunFilters {
  jobId?: string | undefined;
  /** A stored status, or `retrying`: running runs whose failed attempts recorded a wait. */
  status?: string | undefined;
  trigger?: string | undefined;
  /** Bounds of queuedAt, from inclusive, to exclusive. */
  from?: string | undefined;
  to?: string | undefined;
}

/** The SQL conditions of run filters; `running` leaves out the runs that wait on retries, as documents show them. */
export function runConditions(filters: RunFilters): (SQL | undefined)[] {
  const status =
    filters.status === 'retrying'
      ? and(eq(runs.status, 'running'), isNotNull(runs.waiting))
      : filters.status === 'running'
        ? and(eq(runs.status, 'running'), isNull(runs.waiting))
        : filters.status
          ? eq(runs.status, filters.status)
          : undefined;
  return [
    filters.jobId ? eq(runs.jobId, filters.jobId) : undefined,
    status,
    filters.trigger ? eq(runs.trigger, filters.trigger) : undefined,
    filters.from ? gte(runs.queuedAt, storableTime(filters.from, 'from')) : undefined,
    filters.to ? lt(runs.queuedAt, storableTime(filters.to, 'to')) : undefined,
  ];
}

/** A time PostgreSQL can compare with: a real instant in the years 1 to 9999 (a leap second or year 0 is not). */
function storableTime(text: string, field: string): Date {
  const time = new Date(text);
  const year = time.getUTCFullYear();
  if (Number.isNaN(time.getTime()) || year < 1 || year > 9999) {
    throw badRequest(`${field} must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, got "${text}"`, [{ path: `querystring/${field}`, message: 'must be a time in the years 1 to 9999' }]);
  }
  return time;
}
