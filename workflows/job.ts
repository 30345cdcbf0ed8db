// A job's long-lived workflow (`job:<jobId>`): the one owner of its runs and its watermark.
// Triggers queue here, so a job never runs twice at once and no trigger is lost.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { runIdOf, searchAttributeKeys, workflowIds } from '../temporal/names.js';
import type { RunStatus, RunTrigger, StoredError } from '../sync/types.js';
import {
  MAX_QUEUED_RUNS,
  QUEUE_FULL,
  cancelRunSignal,
  deleteJobSignal,
  renameJobSignal,
  resetWatermarkUpdate,
  runFinishedSignal,
  stateQuery,
  triggerUpdate,
  type JobStateView,
  type JobWorkflowState,
  type QueuedRun,
  type RunFinished,
  type SyncRunInput,
  type TriggerRequest,
  type TriggerResult,
} from './types.js';
import { bookkeepingActivities } from './bookkeeping.js';
import { syncRunWorkflow } from './run.js';
import { readable, summarized } from './readable.js';
import { runDetails, runSummary, triggerWords } from './summaries.js';

const bookkeeping = bookkeepingActivities({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const notifications = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** Bounds history even when Temporal has not suggested continue-as-new yet. */
const RUNS_PER_HISTORY = 100;

/** Triggers a client sends; those of schedules, chains and dependencies are bounded by their owners. */
const CLIENT_TRIGGERS: readonly RunTrigger[] = ['import_now', 'import_from_date', 'upload', 'retry_failed'];
/** Before this, two identical Import From Date requests queued two runs; histories from then replay so. */
export const COALESCE_IMPORT_FROM_DATE_PATCH = 'coalesce-identical-import-from-date';
/** Before this, a job workflow started without ending the runs a lost predecessor left open. */
export const RECONCILE_LOST_RUNS_PATCH = 'reconcile-lost-runs';

export async function jobWorkflow(initial: JobWorkflowState): Promise<void> {
  const state: JobWorkflowState = initial;
  // What this execution started with, before any trigger changes it: see the reconciliation below.
  const numberedBefore = state.nextRun;
  const carried = state.queue.map((q) => q.runId);
  let running: QueuedRun | null = null;
  let runningScope: CancellationScope | null = null;
  /** A cancel that arrives while the running run is still being prepared, before it has a scope. */
  let cancelRequested = false;
  let deleting = false;
  let runsThisHistory = 0;
  const runsPerHistory = initial.runsPerHistory ?? RUNS_PER_HISTORY;
  let notifying = 0;
  /**
   * Runs already in the queue whose row is still being written. They hold their place from the
   * moment they are asked for, so concurrent triggers see them (and coalesce into them), but none
   * starts before its row exists.
   */
  const unrecorded = new Set<string>();

  /** The queued run a request joins instead of queueing one of its own, if any. */
  const waitingRunFor = (request: TriggerRequest): QueuedRun | undefined => {
    // A chain's member gets a run of its own, so that the chain run lists it under its id; a retry
    // of failed records is one of its own too.
    if (request.chainRunId || request.trigger === 'retry_failed') return undefined;
    if (isIncremental(request.trigger)) return state.queue.find((q) => q.incremental);
    const same = state.queue.find((q) => sameImportFromDate(q, request));
    return same && patched(COALESCE_IMPORT_FROM_DATE_PATCH) ? same : undefined;
  };
  /** As waitingRunFor, without the side effect of patched(): validators must not have any. */
  const wouldCoalesce = (request: TriggerRequest): boolean => {
    if (request.chainRunId || request.trigger === 'retry_failed') return false;
    return isIncremental(request.trigger) ? state.queue.some((q) => q.incremental) : state.queue.some((q) => sameImportFromDate(q, request));
  };

  const view = (): JobStateView => ({
    watermark: state.watermark,
    running: running?.runId ?? null,
    queued: state.queue.map((q) => q.runId),
  });

  setHandler(stateQuery, view);

  /** The job's state as the Temporal UI shows it beside the workflow (not part of its history). */
  const showState = () =>
    setCurrentDetails(
      [
        `**Watermark** ${state.watermark ?? 'none yet (the next Import Now reads from 1970)'}`,
        `**Running** ${running ? `run ${running.n} (${triggerWords(running.trigger)})` : 'nothing'}`,
        `**Queued** ${state.queue.length === 0 ? 'nothing' : state.queue.map((q) => `run ${q.n} (${triggerWords(q.trigger)})`).join(', ')}`,
      ].join('\n\n'),
    );
  showState();

  setHandler(
    triggerUpdate,
    async (request: TriggerRequest): Promise<TriggerResult> => {
      const incremental = isIncremental(request.trigger);
      const waiting = waitingRunFor(request);
      if (waiting) {
        // Repeated incremental triggers coalesce: the queued run will read everything up to its start;
        // an Import From Date joins a queued one over the same window.
        waiting.notify.push(...(request.notify ?? []));
        const next = running === null && state.queue[0] === waiting;
        return { runId: waiting.runId, workflowId: workflowIds.jobRun(state.jobId, waiting.n), status: next ? 'running' : 'queued' };
      }
      const n = state.nextRun++;
      const queued: QueuedRun = {
        runId: runIdOf(state.jobId, n),
        n,
        trigger: request.trigger,
        incremental,
        window: request.window ?? null,
        chainRunId: request.chainRunId ?? null,
        parentRunId: request.parentRunId ?? null,
        notify: request.notify ?? [],
        ...(request.actor ? { actor: request.actor } : {}),
      };
      const busy = running !== null || state.queue.length > 0;
      // Everything up to here is synchronous: a trigger handled meanwhile sees this run.
      state.queue.push(queued);
      unrecorded.add(queued.runId);
      showState();
      try {
        await summarized(bookkeeping().recordRunQueued, `record run ${n} queued`, {
          runId: queued.runId,
          jobId: state.jobId,
          n,
          trigger: queued.trigger,
          window: queued.window,
          chainRunId: queued.chainRunId,
          parentRunId: queued.parentRunId,
          workflowId: workflowIds.jobRun(state.jobId, n),
          ...(queued.actor ? { actor: queued.actor } : {}),
        });
      } catch (error) {
        // A run without its row must not wait in the queue, where it would hold up every run after it.
        state.queue.splice(state.queue.indexOf(queued), 1);
        showState();
        throw error;
      } finally {
        unrecorded.delete(queued.runId);
      }
      return { runId: queued.runId, workflowId: workflowIds.jobRun(state.jobId, n), status: busy ? 'queued' : 'running' };
    },
    {
      validator: (request: TriggerRequest) => {
        if (deleting) throw new Error('This job is being deleted.');
        if (request.trigger === 'import_from_date' && !request.window?.from) {
          throw new Error('Import From Date needs window.from.');
        }
        if (CLIENT_TRIGGERS.includes(request.trigger) && state.queue.length >= MAX_QUEUED_RUNS && !wouldCoalesce(request)) {
          throw ApplicationFailure.nonRetryable(`${state.queue.length} runs of this job are already waiting; wait for some to end (or cancel them) before asking for more.`, QUEUE_FULL);
        }
      },
    },
  );

  setHandler(resetWatermarkUpdate, async () => {
    const cleared = state.watermark;
    state.watermark = null;
    showState();
    await summarized(bookkeeping().mirrorJobState, 'clear the watermark (reset)', { jobId: state.jobId, watermark: null });
    return { ...view(), cleared };
  });

  setHandler(cancelRunSignal, (runId: string) => {
    if (running?.runId === runId) {
      cancelRequested = true;
      runningScope?.cancel();
      return;
    }
    const index = state.queue.findIndex((q) => q.runId === runId);
    if (index >= 0) {
      const [dropped] = state.queue.splice(index, 1);
      showState();
      void finishQueuedAsCancelled(dropped!);
    }
  });

  setHandler(renameJobSignal, (name: string) => {
    if (!readable()) return;
    upsertMemo({ jobName: name });
    upsertSearchAttributes([{ key: searchAttributeKeys.jobName, value: name }]);
  });

  setHandler(deleteJobSignal, () => {
    deleting = true;
    runningScope?.cancel();
  });

  async function finishQueuedAsCancelled(run: QueuedRun): Promise<void> {
    await summarized(bookkeeping().finishRun, `end run ${run.n} cancelled before it started`, { runId: run.runId, outcome: { status: 'cancelled', error: null } });
    await tell(run, { runId: run.runId, jobId: state.jobId, status: 'cancelled', error: null });
  }

  async function tell(run: QueuedRun, finished: RunFinished): Promise<void> {
    for (const workflowId of run.notify) {
      try {
        await getExternalWorkflowHandle(workflowId).signal(runFinishedSignal, finished);
      } catch (error) {
        // The waiter may have been cancelled or terminated meanwhile; nobody else is waiting.
        log.warn('could not tell a waiting workflow that a run ended', { workflowId, runId: run.runId, error: String(error) });
      }
    }
  }

  async function execute(run: QueuedRun): Promise<{ status: RunStatus; error: StoredError | null }> {
    const prepared = await summarized(bookkeeping().prepareRun, `prepare run ${run.n}: fix its window`, {
      runId: run.runId,
      jobId: state.jobId,
      incremental: run.incremental,
      watermark: state.watermark,
      window: run.window,
    });
    if ('error' in prepared) {
      await summarized(bookkeeping().finishRun, `end run ${run.n}: it could not start`, { runId: run.runId, outcome: { status: 'failure', error: prepared.error } });
      return { status: 'failure', error: prepared.error };
    }
    if (cancelRequested) {
      await summarized(bookkeeping().finishRun, `end run ${run.n} cancelled`, { runId: run.runId, outcome: { status: 'cancelled', error: null } });
      return { status: 'cancelled', error: null };
    }
    const input: SyncRunInput = { runId: run.runId, jobId: state.jobId, connectionId: prepared.connectionId, trigger: run.trigger, window: prepared.window, outageBudgetSeconds: prepared.outageBudgetSeconds };
    const attributes = [
      { key: searchAttributeKeys.jobId, value: state.jobId },
      { key: searchAttributeKeys.connectionId, value: prepared.connectionId },
      { key: searchAttributeKeys.trigger, value: run.trigger },
      ...(prepared.chainId ? [{ key: searchAttributeKeys.chainId, value: prepared.chainId }] : []),
    ];
    const options = {
      workflowId: workflowIds.jobRun(state.jobId, run.n),
      args: [input] as [SyncRunInput],
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      memo: { jobName: prepared.jobName, runId: run.runId },
      typedSearchAttributes: attributes,
    };
    const readableOptions = () => ({
      ...options,
      args: [{ ...input, jobName: prepared.jobName, n: run.n }] as [SyncRunInput],
      typedSearchAttributes: [...attributes, { key: searchAttributeKeys.jobName, value: prepared.jobName }],
      staticSummary: runSummary({ jobName: prepared.jobName, n: run.n, trigger: run.trigger, window: prepared.window }),
      staticDetails: runDetails({ jobId: state.jobId, runId: run.runId, trigger: run.trigger, window: prepared.window, chainId: prepared.chainId }),
    });
    runningScope = new CancellationScope();
    try {
      const result = await runningScope.run(() => executeChild(syncRunWorkflow, readable() ? readableOptions() : options));
      // Only an incremental run that ended on its own feet moves the watermark.
      if (run.incremental && (result.status === 'success' || result.status === 'partial_success')) {
        state.watermark = prepared.window.to;
        await summarized(bookkeeping().mirrorJobState, `move the watermark to ${state.watermark}`, { jobId: state.jobId, watermark: state.watermark });
      }
      return { status: result.status, error: result.error };
    } catch (error) {
      return outcomeOfFailure(error);
    } finally {
      runningScope = null;
    }
  }

  /** Notifications go out beside the next run: a mail server that is down never holds a job up. */
  async function notify(runId: string): Promise<void> {
    notifying++;
    try {
      await summarized(notifications.notifyRun, `notify about run ${runId}`, { runId });
    } catch (error) {
      log.warn('run notification could not be delivered', { runId, error: String(error) });
    } finally {
      notifying--;
    }
  }

  // Runs numbered before this execution that it does not carry were left queued or running by a
  // workflow Temporal lost (deleted data, an old backup, a terminate): nothing else would end them.
  if (patched(RECONCILE_LOST_RUNS_PATCH)) {
    const ended = await summarized(bookkeeping().reconcileLostRuns, 'end runs a lost predecessor left open', { jobId: state.jobId, before: numberedBefore, known: carried });
    if (ended.length > 0) log.warn('ended runs this job workflow does not know', { runIds: ended });
  }

  const startable = () => state.queue.length > 0 && !unrecorded.has(state.queue[0]!.runId);
  while (!deleting) {
    await condition(() => deleting || startable() || workflowInfo().continueAsNewSuggested || runsThisHistory >= runsPerHistory);
    if (deleting) break;
    if (workflowInfo().continueAsNewSuggested || runsThisHistory >= runsPerHistory) {
      await condition(() => allHandlersFinished() && notifying === 0);
      return continueAsNew<typeof jobWorkflow>(state);
    }
    const next = state.queue.shift()!;
    running = next;
    cancelRequested = false;
    showState();
    const outcome = await execute(next);
    running = null;
    runsThisHistory++;
    showState();
    await tell(next, { runId: next.runId, jobId: state.jobId, ...outcome });
    void notify(next.runId);
  }
  // A deleted job's waiting runs end as cancelled, and whoever waits on them (a dependent run, a
  // chain, a schedule's firing) hears it, instead of waiting for good.
  if (deleting && readable()) {
    for (const queued of state.queue.splice(0)) await finishQueuedAsCancelled(queued);
  }
  await condition(allHandlersFinished);
}

/** Runs that read from the watermark and move it; Import From Date and retries of failed records do neither. */
function isIncremental(trigger: RunTrigger): boolean {
  return trigger !== 'import_from_date' && trigger !== 'retry_failed';
}

function sameImportFromDate(queued: QueuedRun, request: TriggerRequest): boolean {
  const a = queued.window;
  const b = request.window ?? null;
  return queued.trigger === 'import_from_date' && !queued.chainRunId && a !== null && b !== null && a.from === b.from && (a.to ?? null) === (b.to ?? null);
}

function outcomeOfFailure(error: unknown): { status: RunStatus; error: StoredError | null } {
  if (isCancellation(error)) return { status: 'cancelled', error: null };
  const cause = error instanceof ChildWorkflowFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { status: 'failure', error: { code: cause.type ?? 'INTERNAL', message: cause.message } };
  return { status: 'failure', error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
}
