// One run of one job (`job:<jobId>:run:<n>`): dependencies first, then pages until the source is
// exhausted. Pages are read and written by activities; only counts and references come back here.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RunStatus, StoredError } from '../sync/types.js';
import { searchAttributeKeys } from '../temporal/names.js';
import { bookkeepingActivities } from './bookkeeping.js';
import { readable, summarized } from './readable.js';
import { pagesSummary, runProgress } from './summaries.js';
import { runFinishedSignal, type PagesSlice, type RunFinished, type SyncRunInput, type SyncRunResult } from './types.js';

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

  const named = { jobName: input.jobName ?? input.jobId, n: input.n ?? 0 };
  /** The run's outcome as a search attribute (SynclineOutcome = "partial_success" finds such runs) and its last details. */
  const ended = (status: RunStatus, detail: string) => {
    setCurrentDetails(detail);
    if (readable()) upsertSearchAttributes([{ key: searchAttributeKeys.outcome, value: status }]);
  };
  try {
    setCurrentDetails('starting: checking the job and its dependencies');
    const plan = await summarized(bookkeeping().beginRun, 'begin: check the job and mark the run running', { runId: input.runId });
    for (const dependency of plan.dependencies) {
      setCurrentDetails(`waiting for dependency "${dependency.name}" to run first`);
      const { runId } = await summarized(bookkeeping().requestRun, `ask job "${dependency.name}" for a run first`, {
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
    let slice: PagesSlice = { done: false, pages: 0 };
    while (!slice.done) {
      slice = await summarized(pages.syncPages, pagesSummary(named, slice.pages), { runId: input.runId });
      setCurrentDetails(runProgress(slice));
    }
    const result = await summarized(bookkeeping().finishRun, 'finish: the status from the counts', { runId: input.runId, outcome: null });
    ended(result.status, runProgress({ pages: slice.pages, counts: result.counts, status: result.status }));
    return result;
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => summarized(bookkeeping().finishRun, 'finish as cancelled', { runId: input.runId, outcome: { status: 'cancelled', error: null } }));
      ended('cancelled', 'cancelled; what it wrote stays');
      throw error;
    }
    const stored = storedError(error);
    await summarized(bookkeeping().finishRun, 'finish as failed', { runId: input.runId, outcome: { status: 'failure', error: stored } });
    ended('failure', `failed: ${stored.message}`);
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
