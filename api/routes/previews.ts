// POST /v1/jobs/:id/preview: what a run would do with the next records, under the saved job or a
// draft of it, written nowhere (activities/preview.ts). A viewer may preview the saved job; only an
// admin may try a draft, which is checked as PATCH would check it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { eq, lt, sql as dsql } from 'drizzle-orm';
import { jobPreviews, jobs } from '../../db/schema.js';
import { applyJobPatch, assertRunnable, validateJob } from '../../services/jobs.js';
import type { PreviewInput, PreviewResult } from '../../activities/preview.js';
import type { previewWorkflow } from '../../workflows/preview.js';
import { previewSummary } from '../../workflows/summaries.js';
import { searchAttributeKeys, workflowIds } from '../../temporal/names.js';
import { ApiError, notFound } from '../errors.js';
import { checkedWindow } from '../windows.js';
import { IdParams, errorResponses } from '../schemas/common.js';
import { PreviewAnswer, PreviewBody } from '../schemas/jobs.js';

/** A preview reads at most 1,000 records: well inside this, or the source is in trouble. */
const PREVIEW_TIMEOUT = '3 minutes';

export const previewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, temporal } = app.services;
  const { db } = database;

  app.post(
    '/jobs/:id/preview',
    {
      // Read-only for what it writes (nothing), so a viewer may preview the saved job.
      config: { viewerMayPost: true },
      schema: {
        tags: ['jobs'],
        summary: 'Preview a job, or a draft of it: what a run would do with the next records, writing nothing',
        description:
          'Reads `limit` source records as a run would, applies the draft (or the saved job), resolves lookups and upsert keys against the target inside a transaction that is rolled back, and answers per record: insert, update (with the fields it changes), unchanged, filtered (with the conditions it fails) or fail (with the reason). Runs as the workflow job:<id>:preview:<n>; never waits for the runs of the job.',
        params: IdParams,
        body: PreviewBody,
        response: { 200: PreviewAnswer, ...errorResponses, 502: { $ref: 'Error' }, 504: { $ref: 'Error' } },
      },
    },
    async (request) => {
      const [before] = await db.select().from(jobs).where(eq(jobs.id, request.params.id));
      if (!before) throw notFound('Job', request.params.id);
      const { draft, limit = 50 } = request.body;
      if (draft && request.actor.role !== 'admin') {
        throw new ApiError(403, 'forbidden', `The token "${request.actor.name}" is a viewer token: it may preview the saved job, not a draft; use an admin token to try a draft.`);
      }
      if (draft) {
        const next = applyJobPatch(before, draft);
        await validateJob(db, next);
        assertRunnable(next);
      } else {
        assertRunnable(before);
      }
      const window = request.body.window ? checkedWindow(request.body.window, '/window') : null;

      const n = await nextPreviewNumber();
      const previewId = `${before.id}-preview-${n}`;
      const workflowId = workflowIds.jobPreview(before.id, n);
      const input: PreviewInput = { jobId: before.id, previewId, draft: draft ?? null, limit, window };
      try {
        await temporal.client.workflow.execute<typeof previewWorkflow>('previewWorkflow', {
          workflowId,
          taskQueue: temporal.taskQueue,
          args: [input],
          workflowExecutionTimeout: PREVIEW_TIMEOUT,
          memo: { jobName: before.name },
          staticSummary: previewSummary({ jobName: before.name, n, limit, draft: draft !== undefined }),
          typedSearchAttributes: [
            { key: searchAttributeKeys.jobId, value: before.id },
            { key: searchAttributeKeys.connectionId, value: before.connectionId },
            { key: searchAttributeKeys.trigger, value: 'preview' },
            { key: searchAttributeKeys.jobName, value: before.name },
          ],
        });
      } catch (error) {
        throw previewFailure(error);
      }
      // The answer is read once: it holds records, and nothing keeps them after.
      const [stored] = await db.delete(jobPreviews).where(eq(jobPreviews.id, previewId)).returning();
      await db.delete(jobPreviews).where(lt(jobPreviews.createdAt, dsql`now() - interval '1 hour'`));
      if (!stored) throw new Error(`preview ${previewId} ended without its answer`);
      return { previewId, workflowId, jobId: before.id, draft: draft !== undefined, ...(stored.result as unknown as PreviewResult) };
    },
  );

  async function nextPreviewNumber(): Promise<number> {
    const [row] = await database.sql<{ n: string }[]>`select nextval('preview_numbers')::text as n`;
    return Number(row!.n);
  }
};

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
