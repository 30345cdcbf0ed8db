import type { RunRow } from '../db/schema.js';
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
  };
}
