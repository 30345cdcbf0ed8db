// Client-side entry point to a chain run: `chain:<chainId>:run:<n>`, started by the API.
import type { Db } from '../db/client.js';
import { allocateChainRun, finishChainRun } from '../services/chains.js';
import type { chainRunWorkflow } from '../workflows/chain.js';
import type { TemporalContext } from './context.js';
import { searchAttributeKeys, workflowIds } from './names.js';
import { chainRunSummary } from '../workflows/summaries.js';

/** Numbers and records a chain run, then starts its workflow; members are requested from there. */
export async function startChainRun(temporal: TemporalContext, db: Db, chainId: string, trigger: string): Promise<{ chainRunId: string; workflowId: string }> {
  const run = await allocateChainRun(db, chainId, trigger);
  const workflowId = workflowIds.chainRun(chainId, run.n);
  try {
    await temporal.client.workflow.start<typeof chainRunWorkflow>('chainRunWorkflow', {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [{ chainId, chainRunId: run.chainRunId, jobIds: run.jobIds }],
      memo: { chainName: run.name },
      staticSummary: chainRunSummary({ chainName: run.name, n: run.n, trigger }),
      typedSearchAttributes: [
        { key: searchAttributeKeys.chainId, value: chainId },
        { key: searchAttributeKeys.trigger, value: trigger },
      ],
    });
  } catch (error) {
    // The run row exists already; left running it would never end.
    await finishChainRun(db, run.chainRunId, 'failure', { code: 'INTERNAL', message: `The chain run could not be started: ${error instanceof Error ? error.message : String(error)}` });
    throw error;
  }
  return { chainRunId: run.chainRunId, workflowId };
}
