// What a Temporal Schedule starts. Schedules cannot name runs `job:<id>:run:<n>` themselves, so
// these short workflows hand the trigger to the job's (or chain's) own workflow, and (since the
// readable-UI change) wait for the run to end, so that a schedule's recent actions in the Temporal
// UI say how each firing went.
import { ApplicationFailure, condition, executeChild, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { searchAttributeKeys, workflowIds } from '../temporal/names.js';
import { chainRunWorkflow } from './chain.js';
import { readable, summarized } from './readable.js';
import { chainRunSummary } from './summaries.js';
import { runFinishedSignal, type RunFinished } from './types.js';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['INVALID_CONFIGURATION'] },
});

const outcome = (value: string) => upsertSearchAttributes([{ key: searchAttributeKeys.outcome, value }]);

export async function scheduledJobWorkflow(jobId: string): Promise<string> {
  if (!readable()) {
    const result = await acts.requestScheduledRun({ jobId });
    return result.skipped ?? result.runId!;
  }
  const finished = new Map<string, RunFinished>();
  setHandler(runFinishedSignal, (run: RunFinished) => {
    finished.set(run.runId, run);
  });
  const { workflowId, runId: executionId } = workflowInfo();
  // Keyed by this firing: a retried request answers the run the first attempt queued.
  const result = await summarized(acts.requestScheduledRun, 'ask the job for its scheduled run', { jobId, notify: [workflowId], requestId: `${workflowId}/${executionId}` });
  if (result.skipped) {
    setCurrentDetails(`skipped: ${result.skipped}`);
    outcome('skipped');
    return result.skipped;
  }
  const runId = result.runId!;
  setCurrentDetails(`run ${runId} asked for; waiting for it to end`);
  await condition(() => finished.has(runId));
  const ended = finished.get(runId)!;
  setCurrentDetails(`run ${runId} ended ${ended.status}${ended.error ? `: ${ended.error.message}` : ''}`);
  outcome(ended.status);
  if (ended.status === 'failure') throw ApplicationFailure.nonRetryable(`Run ${runId} failed${ended.error ? `: ${ended.error.message}` : ''}`, ended.error?.code ?? 'RUN_FAILED');
  return runId;
}

export async function scheduledChainWorkflow(chainId: string, trigger: 'schedule' | 'manual' = 'schedule'): Promise<string> {
  // Keyed by this firing: a retried allocation answers the run the first attempt made.
  const run = await summarized(acts.allocateChainRun, 'number and record the chain run', { chainId, trigger, requestKey: `${workflowInfo().workflowId}/${workflowInfo().runId}` });
  const options = {
    workflowId: workflowIds.chainRun(chainId, run.n),
    args: [{ chainId, chainRunId: run.chainRunId, jobIds: run.jobIds }] as const,
    typedSearchAttributes: [
      { key: searchAttributeKeys.chainId, value: chainId },
      { key: searchAttributeKeys.trigger, value: trigger },
    ],
    memo: { chainName: run.name },
  };
  if (!readable()) {
    await executeChild(chainRunWorkflow, { ...options, args: [...options.args] });
    return run.chainRunId;
  }
  try {
    await executeChild(chainRunWorkflow, { ...options, args: [...options.args], staticSummary: chainRunSummary({ chainName: run.name, n: run.n, trigger }) });
  } catch (error) {
    outcome('failure');
    throw error;
  }
  outcome('success');
  return run.chainRunId;
}
