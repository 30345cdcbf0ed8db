// One run of a job chain (`chain:<chainId>:run:<n>`): members one after the other, each through its
// own job workflow; a member that does not succeed stops the chain.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { StoredError } from '../sync/types.js';
import { searchAttributeKeys } from '../temporal/names.js';
import { readable, summarized } from './readable.js';
import { runFinishedSignal, type ChainRunInput, type RunFinished } from './types.js';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['INVALID_CONFIGURATION'] },
});

export async function chainRunWorkflow(input: ChainRunInput): Promise<{ status: string }> {
  const finished = new Map<string, RunFinished>();
  setHandler(runFinishedSignal, (run: RunFinished) => {
    finished.set(run.runId, run);
  });
  const ended = (status: string, detail: string) => {
    setCurrentDetails(detail);
    if (readable()) upsertSearchAttributes([{ key: searchAttributeKeys.outcome, value: status }]);
  };
  try {
    for (const [i, jobId] of input.jobIds.entries()) {
      setCurrentDetails(`member ${i + 1} of ${input.jobIds.length}: job ${jobId}`);
      const { runId } = await summarized(acts.requestRun, `ask job ${jobId} for a run (member ${i + 1} of ${input.jobIds.length})`, {
        jobId,
        request: { trigger: 'chain', chainRunId: input.chainRunId, notify: [workflowInfo().workflowId] },
        requestId: `${input.chainRunId}:${jobId}`,
      });
      await condition(() => finished.has(runId));
      const outcome = finished.get(runId)!;
      if (outcome.status !== 'success' && outcome.status !== 'partial_success') {
        const message = `Chain stopped: member job ${jobId} ended ${outcome.status}${outcome.error ? ` (${outcome.error.message})` : ''}.`;
        throw ApplicationFailure.nonRetryable(message, 'CHAIN_MEMBER_FAILED');
      }
    }
    await summarized(acts.finishChainRun, 'finish the chain run: success', { chainRunId: input.chainRunId, status: 'success', error: null });
    ended('success', `every member succeeded (${input.jobIds.length})`);
    return { status: 'success' };
  } catch (error) {
    // Whatever stopped the chain (a member, a member that could not be asked for), its run ends here.
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => summarized(acts.finishChainRun, 'finish the chain run: cancelled', { chainRunId: input.chainRunId, status: 'cancelled', error: null }));
      ended('cancelled', 'cancelled');
    } else {
      const stored = storedError(error);
      await summarized(acts.finishChainRun, 'finish the chain run: failure', { chainRunId: input.chainRunId, status: 'failure', error: stored });
      ended('failure', stored.message);
    }
    throw error;
  }
}

function storedError(error: unknown): StoredError {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'INTERNAL', message: cause.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
