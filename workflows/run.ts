// One run of one job (`job:<jobId>:run:<n>`): dependencies first, then pages until the source is
// exhausted. Pages are read and written by activities; only counts and references come back here.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { StoredError } from '../sync/types.js';
import { bookkeepingActivities } from './bookkeeping.js';
import { runFinishedSignal, type RunFinished, type SyncRunInput, type SyncRunResult } from './types.js';

/** Transient failures back off from about a second to at most five minutes. */
const retry: ActivityOptions['retry'] = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
  nonRetryableErrorTypes: ['SOURCE_AUTH_REJECTED', 'SOURCE_REQUEST_REJECTED', 'INVALID_CONFIGURATION', 'DEPENDENCY_FAILED'],
};

const bookkeeping = bookkeepingActivities({ startToCloseTimeout: '1 minute', retry });

export async function syncRunWorkflow(input: SyncRunInput): Promise<SyncRunResult> {
  // The outage budget bounds how long a page may keep failing before the run gives up.
  const pages = proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    // A killed worker's page is retried elsewhere this long after its last heartbeat.
    heartbeatTimeout: '15 seconds',
    scheduleToCloseTimeout: `${input.outageBudgetSeconds} seconds`,
    retry,
    // A cancelled run ends only once its page activity has stopped: otherwise that activity would
    // go on committing pages after the run says it ended, beside the job's next run.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const finished = new Map<string, RunFinished>();
  setHandler(runFinishedSignal, (run: RunFinished) => {
    finished.set(run.runId, run);
  });

  try {
    const plan = await bookkeeping().beginRun({ runId: input.runId });
    for (const dependency of plan.dependencies) {
      const { runId } = await bookkeeping().requestRun({
        jobId: dependency.jobId,
        request: { trigger: 'dependency', parentRunId: input.runId, notify: [workflowInfo().workflowId] },
        requestId: `${input.runId}:dependency:${dependency.jobId}`,
      });
      await condition(() => finished.has(runId));
      const outcome = finished.get(runId)!;
      if (outcome.status !== 'success' && outcome.status !== 'partial_success') {
        throw ApplicationFailure.nonRetryable(
          `Dependency job "${dependency.name}" ended ${outcome.status}${outcome.error ? `: ${outcome.error.message}` : ''}; this run did not start.`,
          'DEPENDENCY_FAILED',
        );
      }
    }
    let done = false;
    while (!done) ({ done } = await pages.syncPages({ runId: input.runId }));
    return await bookkeeping().finishRun({ runId: input.runId, outcome: null });
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => bookkeeping().finishRun({ runId: input.runId, outcome: { status: 'cancelled', error: null } }));
      throw error;
    }
    const stored = storedError(error);
    await bookkeeping().finishRun({ runId: input.runId, outcome: { status: 'failure', error: stored } });
    // Failing the execution makes a failed run show as Failed in the Temporal UI.
    throw ApplicationFailure.nonRetryable(stored.message, stored.code);
  }
}

function storedError(error: unknown): StoredError {
  let cause: unknown = error;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && (cause as { cause?: unknown }).cause) {
    cause = (cause as { cause?: unknown }).cause;
  }
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'INTERNAL', message: cause.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
