// Client-side entry points to a job's workflow, shared by the API and by activities.
import { WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { eq, max } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { jobState, jobs, runs } from '../db/schema.js';
import type { jobWorkflow } from '../workflows/job.js';
import { renameJobSignal, triggerUpdate, type JobWorkflowState, type TriggerRequest, type TriggerResult } from '../workflows/types.js';
import { jobWorkflowDetails, jobWorkflowSummary } from '../workflows/summaries.js';
import { searchAttributeKeys, workflowIds } from './names.js';
import type { TemporalContext } from './context.js';
import { invalidConfiguration } from '../sync/errors.js';

/** The state a job workflow starts from when it is not running: the PostgreSQL mirror. */
export async function initialJobState(db: Db, jobId: string): Promise<JobWorkflowState> {
  const [mirror] = await db.select().from(jobState).where(eq(jobState.jobId, jobId));
  const [last] = await db.select({ n: max(runs.n) }).from(runs).where(eq(runs.jobId, jobId));
  const nextRun = Math.max(mirror?.nextRunNumber ?? 1, (last?.n ?? 0) + 1);
  return { jobId, watermark: mirror?.watermark?.toISOString() ?? null, nextRun, queue: [] };
}

/**
 * Queues a run on the job's workflow, starting that workflow if needed. An `updateId` makes a
 * retried request return the run it already created instead of queueing another.
 */
export async function triggerJob(temporal: TemporalContext, db: Db, jobId: string, request: TriggerRequest, updateId?: string): Promise<TriggerResult> {
  const [job] = await db.select({ name: jobs.name, connectionId: jobs.connectionId }).from(jobs).where(eq(jobs.id, jobId));
  if (!job) throw invalidConfiguration(`Job ${jobId} does not exist.`);
  const start = new WithStartWorkflowOperation<typeof jobWorkflow>('jobWorkflow', {
    workflowId: workflowIds.job(jobId),
    taskQueue: temporal.taskQueue,
    args: [await initialJobState(db, jobId)],
    workflowIdConflictPolicy: 'USE_EXISTING',
    memo: { jobName: job.name },
    typedSearchAttributes: [
      { key: searchAttributeKeys.jobId, value: jobId },
      { key: searchAttributeKeys.connectionId, value: job.connectionId },
      { key: searchAttributeKeys.jobName, value: job.name },
    ],
    staticSummary: jobWorkflowSummary(job.name),
    staticDetails: jobWorkflowDetails(jobId),
  });
  return temporal.client.workflow.executeUpdateWithStart(triggerUpdate, { args: [request], startWorkflowOperation: start, ...(updateId ? { updateId } : {}) });
}

/**
 * After a rename, the job's workflow carries the new name (memo and SynclineJobName); its runs keep
 * the name they ran under. A job that never ran has no workflow yet: it starts with the new name.
 */
export async function renameJobWorkflow(temporal: TemporalContext, jobId: string, name: string): Promise<void> {
  try {
    await temporal.client.workflow.getHandle(workflowIds.job(jobId)).signal(renameJobSignal, name);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
