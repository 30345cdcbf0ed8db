import { and, eq, inArray, lt, notInArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { runs, type RunRow } from '../db/schema.js';
import type { RunStatus } from '../sync/types.js';

/** How a run's status reads to a person, in the execution log and in notifications. */
export const STATUS_WORDS: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'In Progress',
  success: 'Success',
  partial_success: 'Partial Success',
  failure: 'Failure',
  cancelled: 'Cancelled',
};

export function toRunDocument(row: RunRow) {
  return {
    id: row.id,
    jobId: row.jobId,
    chainRunId: row.chainRunId,
    parentRunId: row.parentRunId,
    trigger: row.trigger,
    status: row.status,
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
