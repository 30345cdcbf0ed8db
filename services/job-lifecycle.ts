// What happens around a job's workflow and schedule when a job is triggered, rescheduled or deleted.
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { jobs, type JobRow } from '../db/schema.js';
import type { Database } from '../db/client.js';
import type { TemporalContext } from '../temporal/context.js';
import { workflowIds } from '../temporal/names.js';
import { deleteJobSchedule } from '../temporal/schedules.js';
import { deleteJobSignal } from '../workflows/types.js';
import { recordAudit } from './audit.js';
import { auditedJob } from './jobs.js';

export interface LifecycleServices {
  database: Database;
  temporal: TemporalContext;
}

export async function removeJob(services: LifecycleServices, actor: string, job: JobRow): Promise<void> {
  await deleteJobSchedule(services.temporal, job.id);
  try {
    await services.temporal.client.workflow.getHandle(workflowIds.job(job.id)).signal(deleteJobSignal);
  } catch (error) {
    // A job that never ran has no workflow to stop.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  await services.database.db.delete(jobs).where(eq(jobs.id, job.id));
  await recordAudit(services.database.db, actor, { type: 'job', id: job.id, name: job.name, connectionId: job.connectionId, jobId: job.id }, auditedJob(job), null);
}
