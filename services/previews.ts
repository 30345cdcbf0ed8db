// A job preview, for the API and the console alike: a draft checked as PATCH checks it, the short
// workflow `job:<id>:preview:<n>` started and awaited, and its answer read once from job_previews.
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { eq, lt, sql as dsql } from 'drizzle-orm';
import { jobPreviews, type JobRow } from '../db/schema.js';
import type { Database } from '../db/client.js';
import type { JobDraft, PreviewInput, PreviewResult } from '../activities/preview.js';
import type { previewWorkflow } from '../workflows/preview.js';
import { previewSummary } from '../workflows/summaries.js';
import { searchAttributeKeys, workflowIds } from '../temporal/names.js';
import type { TemporalContext } from '../temporal/context.js';
import { ApiError } from '../api/errors.js';
import { applyJobPatch, assertLookupSourcesKept, assertRunnable, validateJob } from './jobs.js';

/** A preview reads at most 1,000 records: well inside this, or the source is in trouble. */
const PREVIEW_TIMEOUT = '3 minutes';

export interface PreviewRequest {
  draft?: JobDraft | undefined;
  limit: number;
  window: { from: string; to: string | null } | null;
}

export type PreviewAnswer = PreviewResult & { previewId: string; workflowId: string; jobId: string; draft: boolean };

/**
 * Previews read the source (its quota) and the target, and a viewer may ask for them: one at a time
 * per job, and a few at once in all, per API process.
 */
const MAX_PREVIEWS_PER_JOB = 1;
const MAX_PREVIEWS = 4;
const previewsRunning = new Map<string, number>();

export async function previewJob(services: { database: Database; temporal: TemporalContext }, job: JobRow, request: PreviewRequest): Promise<PreviewAnswer> {
  const forJob = previewsRunning.get(job.id) ?? 0;
  if (forJob >= MAX_PREVIEWS_PER_JOB) throw new ApiError(429, 'preview_running', `Job "${job.name}" is being previewed already; wait for that preview to answer, then ask again.`);
  let all = 0;
  for (const n of previewsRunning.values()) all += n;
  if (all >= MAX_PREVIEWS) throw new ApiError(429, 'previews_busy', `${all} previews are running; wait a moment and ask again.`);
  previewsRunning.set(job.id, forJob + 1);
  try {
    return await runPreview(services, job, request);
  } finally {
    const left = (previewsRunning.get(job.id) ?? 1) - 1;
    if (left > 0) previewsRunning.set(job.id, left);
    else previewsRunning.delete(job.id);
  }
}

async function runPreview(services: { database: Database; temporal: TemporalContext }, job: JobRow, request: PreviewRequest): Promise<PreviewAnswer> {
  const { db, sql } = services.database;
  const { draft, limit, window } = request;
  // The workflow previews the draft as PATCH would save it (locked flags kept, filters' logic
  // normalised), not the raw request: what was checked is what is previewed.
  let checked: JobDraft | null = null;
  if (draft) {
    const next = applyJobPatch(job, draft);
    await validateJob(db, next);
    if (draft.mappings) await assertLookupSourcesKept(db, job, next);
    assertRunnable(next);
    checked = { modificationType: next.modificationType, mappings: next.mappings, derivedMappings: next.derivedMappings, filters: next.filters };
  } else {
    assertRunnable(job);
  }
  const [numbered] = await sql<{ n: string }[]>`select nextval('preview_numbers')::text as n`;
  const n = Number(numbered!.n);
  const previewId = `${job.id}-preview-${n}`;
  const workflowId = workflowIds.jobPreview(job.id, n);
  const input: PreviewInput = { jobId: job.id, previewId, draft: checked, limit, window };
  try {
    await services.temporal.client.workflow.execute<typeof previewWorkflow>('previewWorkflow', {
      workflowId,
      taskQueue: services.temporal.taskQueue,
      args: [input],
      workflowExecutionTimeout: PREVIEW_TIMEOUT,
      memo: { jobName: job.name },
      staticSummary: previewSummary({ jobName: job.name, n, limit, draft: draft !== undefined }),
      typedSearchAttributes: [
        { key: searchAttributeKeys.jobId, value: job.id },
        { key: searchAttributeKeys.connectionId, value: job.connectionId },
        { key: searchAttributeKeys.trigger, value: 'preview' },
        { key: searchAttributeKeys.jobName, value: job.name },
      ],
    });
  } catch (error) {
    await forgetPreviews(db);
    throw previewFailure(error);
  }
  // The answer is read once: it holds records, and nothing keeps them after.
  const [stored] = await db.delete(jobPreviews).where(eq(jobPreviews.id, previewId)).returning();
  await forgetPreviews(db);
  if (!stored) throw new Error(`preview ${previewId} ended without its answer`);
  return { previewId, workflowId, jobId: job.id, draft: draft !== undefined, ...(stored.result as unknown as PreviewResult) };
}

/** Answers of previews nobody read (their request failed or went away) are kept an hour at most. */
async function forgetPreviews(db: Database['db']): Promise<void> {
  await db.delete(jobPreviews).where(lt(jobPreviews.createdAt, dsql`now() - interval '1 hour'`));
}

/** The source's refusal or outage as the client's answer: 502 for the source, 422 for the job or its data, 504 for time. */
function previewFailure(error: unknown): unknown {
  if (!(error instanceof WorkflowFailedError)) return error;
  const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
  if (cause instanceof ApplicationFailure) {
    const code = (cause.type ?? 'internal').toLowerCase();
    if (cause.type === 'INVALID_CONFIGURATION') return new ApiError(422, code, cause.message);
    if (cause.type === 'DATA_REJECTED') return new ApiError(422, code, `${cause.message}. Fix the value at the source, or map or filter it out in the draft.`);
    if (cause.type === 'TARGET_BUSY') return new ApiError(503, 'target_busy', `The preview could not read the target: ${cause.message}`);
    if (cause.type?.startsWith('SOURCE_')) return new ApiError(502, code, `The preview could not read the source: ${cause.message}`);
  }
  if (error.cause?.name === 'TimeoutFailure') return new ApiError(504, 'preview_timeout', `The preview did not finish within ${PREVIEW_TIMEOUT}; the source may be slow or down. Try a smaller limit, or later.`);
  return error;
}
