// What a Temporal Schedule starts. Schedules cannot name runs `job:<id>:run:<n>` themselves, so
// these short workflows hand the trigger to the job's (or chain's) own workflow.
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { searchAttributeKeys, workflowIds } from '../temporal/names.js';
import { chainRunWorkflow } from './chain.js';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['INVALID_CONFIGURATION'] },
});

export async function scheduledJobWorkflow(jobId: string): Promise<string> {
  const result = await acts.requestScheduledRun({ jobId });
  return result.skipped ?? result.runId!;
}

export async function scheduledChainWorkflow(chainId: string, trigger: 'schedule' | 'manual' = 'schedule'): Promise<string> {
  // Keyed by this firing: a retried allocation answers the run the first attempt made.
  const run = await acts.allocateChainRun({ chainId, trigger, requestKey: `${workflowInfo().workflowId}/${workflowInfo().runId}` });
  await executeChild(chainRunWorkflow, {
    workflowId: workflowIds.chainRun(chainId, run.n),
    args: [{ chainId, chainRunId: run.chainRunId, jobIds: run.jobIds }],
    typedSearchAttributes: [
      { key: searchAttributeKeys.chainId, value: chainId },
      { key: searchAttributeKeys.trigger, value: trigger },
    ],
    memo: { chainName: run.name },
  });
  return run.chainRunId;
}
