// What happens around a job's workflow and schedule when a job is triggered, rescheduled or deleted.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { eq, sql as dsql } from 'drizzle-orm';
import { ApiError, conflict, type ErrorDetail } from '../api/errors.js';
import { jobChains, jobs, type JobRow } from '../db/schema.js';
import type { Database, Db } from '../db/client.js';
import type { TemporalContext } from '../temporal/context.js';
import { workflowIds } from '../temporal/names.js';
import { deleteJobSchedule } from '../temporal/schedules.js';
import { MAX_QUEUED_RUNS, QUEUE_FULL, deleteJobSignal, type TriggerRequest, type TriggerResult } from '../workflows/types.js';
import { triggerJob } from '../temporal/jobs.js';
import { recordAudit } from './audit.js';
import { assertRunnable, auditedJob } from './jobs.js';

export interface LifecycleServices {
  database: Database;
  temporal: TemporalContext;
}

/**
 * Jobs can go only when nothing else runs them: a chain that lists one, or a job outside `removing`
 * that depends on one, would otherwise refuse to run later (or run without data it needs). 409,
 * naming each chain and job to change first.
 */
export async function assertJobsRemovable(db: Db, removing: JobRow[]): Promise<void> {
  const ids = removing.map((j) => j.id);
  if (ids.length === 0) return;
  const nameOf = (id: string) => removing.find((j) => j.id === id)?.name ?? id;
  const listed = dsql`exists (select 1 from jsonb_array_elements_text(${jobChains.jobIds}) as member where member in ${ids})`;
  const chains = await db.select({ id: jobChains.id, name: jobChains.name, jobIds: jobChains.jobIds }).from(jobChains).where(listed);
  const depending = dsql`exists (select 1 from jsonb_array_elements_text(${jobs.dependsOn}) as dependency where dependency in ${ids})`;
  const dependents = (await db.select({ id: jobs.id, name: jobs.name, dependsOn: jobs.dependsOn }).from(jobs).where(depending)).filter((j) => !ids.includes(j.id));
  const details: ErrorDetail[] = [
    ...chains.map((c) => ({
      path: `/job-chains/${c.id}/jobIds`,
      message: `job chain "${c.name}" runs ${c.jobIds.filter((id) => ids.includes(id)).map((id) => `"${nameOf(id)}"`).join(', ')}; remove it from the chain's jobIds (or delete the chain) first`,
    })),
    ...dependents.map((j) => ({
      path: `/jobs/${j.id}/dependsOn`,
      message: `job "${j.name}" depends on ${j.dependsOn.filter((id) => ids.includes(id)).map((id) => `"${nameOf(id)}"`).join(', ')}; remove it from that job's dependsOn (or delete that job too) first`,
    })),
  ];
  if (details.length > 0) throw conflict('job_in_use', `Still in use, so nothing was deleted: ${details.map((d) => d.message).join('; ')}.`, details);
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

/**
 * A run a client asks for (Import Now, Import From Date, an upload), on behalf of `actor` (a token's
 * owner), who is recorded on the run and in the audit log: 422 when the job cannot run, 429 when its
 * queue is full. `updateId` makes a repeated request join the run the first one made.
 */
export async function queueClientRun(services: LifecycleServices, actor: string, job: JobRow, request: TriggerRequest, updateId?: string): Promise<TriggerResult> {
  assertRunnable(job);
  let result: TriggerResult;
  try {
    result = await triggerJob(services.temporal, services.database.db, job.id, { ...request, actor }, updateId);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === QUEUE_FULL) {
      throw new ApiError(429, 'queue_full', `Job "${job.name}" already has ${MAX_QUEUED_RUNS} runs waiting; wait for some to end, or cancel them, and ask again.`);
    }
    throw error;
  }
  const asked = { runId: result.runId, trigger: request.trigger, ...(request.window ? { window: { from: request.window.from, to: request.window.to ?? null } } : {}) };
  await recordAudit(services.database.db, actor, { type: 'job', id: job.id, name: job.name, connectionId: job.connectionId, jobId: job.id }, null, { run: asked }, TRIGGER_WORDS[request.trigger] ?? request.trigger);
  return result;
}

/** How the audit log names a client's request for a run. */
const TRIGGER_WORDS: Partial<Record<TriggerRequest['trigger'], string>> = { import_now: 'Import Now', import_from_date: 'Import From Date', upload: 'File upload', retry_failed: 'Retry of failed records' };
