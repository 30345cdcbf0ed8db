// A job preview (`job:<jobId>:preview:<n>`): one activity that reads and rolls back, short and
// bounded. It never enters the job's workflow, so it waits for no run and no run waits for it. Its
// answer stays in PostgreSQL (job_previews): record data never enters history.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PreviewInput } from '../activities/preview.js';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: ['SOURCE_AUTH_REJECTED', 'SOURCE_REQUEST_REJECTED', 'INVALID_CONFIGURATION', 'DATA_REJECTED'] },
});

export async function previewWorkflow(input: PreviewInput): Promise<{ previewId: string; records: number }> {
  return acts.previewJob(input);
}
