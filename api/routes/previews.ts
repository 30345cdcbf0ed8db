// POST /v1/jobs/:id/preview: what a run would do with the next records, under the saved job or a
// draft of it, written nowhere (activities/preview.ts, services/previews.ts). A viewer may preview
// the saved job; only an admin may try a draft, which is checked as PATCH would check it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import { jobs } from '../../db/schema.js';
import { previewJob } from '../../services/previews.js';
import { ApiError, notFound } from '../errors.js';
import { checkedWindow } from '../windows.js';
import { IdParams, errorResponses } from '../schemas/common.js';
import { PreviewAnswer, PreviewBody } from '../schemas/jobs.js';

export const previewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.services.database;

  app.post(
    '/jobs/:id/preview',
    {
      // Read-only for what it writes (nothing), so a viewer may preview the saved job.
      config: { viewerMayPost: true },
      schema: {
        tags: ['jobs'],
        summary: 'Preview a job, or a draft of it: what a run would do with the next records, writing nothing',
        description:
          'Reads `limit` source records as a run would, applies the draft (or the saved job), resolves lookups and upsert keys against the target inside a transaction that is rolled back, and answers per record: insert, update (with the fields it changes), unchanged, filtered (with the conditions it fails) or fail (with the reason). Runs as the workflow job:<id>:preview:<n>; never waits in the queue of the job\'s runs. One preview of a job at a time (429 while one runs); 422 when the database refuses a value the draft makes; 503 when a run keeps writing the target for more than 15 s.',
        params: IdParams,
        body: PreviewBody,
        response: { 200: PreviewAnswer, ...errorResponses, 429: { $ref: 'Error' }, 502: { $ref: 'Error' }, 503: { $ref: 'Error' }, 504: { $ref: 'Error' } },
      },
    },
    async (request) => {
      const [job] = await db.select().from(jobs).where(eq(jobs.id, request.params.id));
      if (!job) throw notFound('Job', request.params.id);
      const { draft, limit = 50 } = request.body;
      if (draft && request.actor.role !== 'admin') {
        throw new ApiError(403, 'forbidden', `The token "${request.actor.name}" is a viewer token: it may preview the saved job, not a draft; use an admin token to try a draft.`);
      }
      const window = request.body.window ? checkedWindow(request.body.window, '/window') : null;
      return previewJob(app.services, job, { draft, limit, window });
    },
  );
};
