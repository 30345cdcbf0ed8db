// syncRunWorkflow as a careless edit would leave it (a timer before its first activity), so that
// tests/replay.test.ts can show replay catching a change that breaks running workflows.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { SyncRunInput, SyncRunResult } from '../../workflows/types.js';

const bookkeeping = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

export async function syncRunWorkflow(input: SyncRunInput): Promise<SyncRunResult> {
  await sleep('1 second');
  await bookkeeping.beginRun({ runId: input.runId });
  return bookkeeping.finishRun({ runId: input.runId, outcome: null });
}
