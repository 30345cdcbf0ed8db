// A run's retry state as Temporal holds it: the pending page activity of the run's workflow, with
// its attempt, the failure before it and when the next attempt starts. Only Temporal knows the
// backoff, so this is what GET /v1/runs/:id, the CLI and the console show while a run waits.
import { WorkflowNotFoundError } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common';
import type { RunRow } from '../db/schema.js';
import { waitReasonOf, type WaitingView } from '../services/runs.js';
import type { StoredError } from '../sync/types.js';
import type { TemporalContext } from './context.js';

/** The activity that reads and writes a run's pages; the only one an outage makes wait. */
const PAGE_ACTIVITY = 'syncPages';
/** PendingActivityState.SCHEDULED: backing off until the next attempt (STARTED, 2: an attempt runs). */
const SCHEDULED = 1;

type PendingFailure = { message?: string | null; applicationFailureInfo?: { type?: string | null } | null; timeoutFailureInfo?: unknown; cause?: PendingFailure | null };

/**
 * The run's retry state, or null when its page work is not being retried. `undefined` when Temporal
 * could not say (the workflow is gone, or Temporal is unreachable): callers then fall back to what the
 * failed attempts recorded.
 */
export async function liveWaiting(temporal: TemporalContext, run: Pick<RunRow, 'status' | 'workflowId' | 'waiting'>): Promise<WaitingView | null | undefined> {
  if (run.status !== 'running') return null;
  let pending;
  try {
    const description = await temporal.client.workflow.getHandle(run.workflowId).describe();
    pending = (description.raw.pendingActivities ?? []).find((a) => a.activityType?.name === PAGE_ACTIVITY);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  if (!pending?.lastFailure || (pending.attempt ?? 1) <= 1) return null;
  const lastError = errorOf(pending.lastFailure as PendingFailure);
  const next = pending.state === SCHEDULED ? optionalTsToDate(pending.nextAttemptScheduleTime ?? pending.scheduledTime) : undefined;
  const failedAt = optionalTsToDate(pending.lastAttemptCompleteTime);
  return {
    reason: waitReasonOf(lastError),
    attempt: pending.attempt ?? 1,
    lastError,
    since: run.waiting?.since ?? failedAt?.toISOString() ?? new Date().toISOString(),
    nextAttemptAt: next?.toISOString() ?? null,
  };
}

function errorOf(failure: PendingFailure): StoredError {
  if (failure.timeoutFailureInfo) return { code: 'TIMEOUT', message: `The worker running this page stopped answering (${failure.message ?? 'timeout'}); another worker takes it over.` };
  const type = failure.applicationFailureInfo?.type;
  return { code: type || 'INTERNAL', message: failure.message ?? 'unknown error' };
}
