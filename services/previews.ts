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
import { applyJobPatch, assertRunnable, validateJob } from './jobs.js';

/** A preview reads at most 1,000 records: well inside this, or the source is in trouble. */
const PREVIEW_TIMEOUT = '3 minutes';

export interface PreviewRequest {
  draft?: JobDraft | undefined;
  limit: number;
  window: { from: string; to: string | null } | null;
}

export type PreviewAnswer = PreviewResult & { previewId: string; workflowId: string; jobId: string; draft: boolean };

export async function previewJob(services: { database: Database; temporal: TemporalContext }, job: JobRow, request: PreviewRequest): Promise<PreviewAnswer> {
  const { db, sql } = services.database;
  const { draft, limit, window } = request;
  if (draft) {
    const next = applyJobPatch(job, draft);
    await validateJob(db, next);
    assertRunnable(next);
  } else {
    assertRunnable(job);
  }
  const [numbered] = await sql<{ n: string }[]>`select nextval('preview_numbers')::text as n`;
  const n = Number(numbered!.n);
  const previewId = `${job.id}-preview-${n}`;
  const workflowId = workflowIds.jobPreview(job.id, n);
  const input: PreviewInput = { jobId: job.id, previewId, draft: draft ?? null, limit, window };
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
    throw previewFailure(error);
  }
  // The answer is read once: it holds records, and nothing keeps them after.
  const [stored] = await db.delete(jobPreviews).where(eq(jobPreviews.id, previewId)).returning();
  await db.delete(jobPreviews).where(lt(jobPreviews.createdAt, dsql`now() - interval '1 hour'`));
  if (!stored) throw new Error(`preview ${previewId} ended without its answer`);
  return { previewId, workflowId, jobId: job.id, draft: draft !== undefined, ...(stored.result as unknown as PreviewResult) };
}

/** The source's refusal or outage as the client's answer: 502 for the source, 422 for the job, 504 for time. */
function previewFailure(error: unknown): unknown {
  if (!(error instanceof WorkflowFailedError)) return error;
  const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
  if (cause instanceof ApplicationFailure) {
    const code = (cause.type ?? 'internal').toLowerCase();
    if (cause.type === 'INVALID_CONFIGURATION') return new ApiError(422, code, cause.message);
    if (cause.type?.startsWith('SOURCE_')) return new ApiError(502, code, `The preview could not read the source: ${cause.message}`);
  }
  if (error.cause?.name === 'TimeoutFailure') return new ApiError(504, 'preview_timeout', `The preview did not finish within ${PREVIEW_TIMEOUT}; the source may be slow or down. Try a smaller limit, or later.`);
  return error;
}
