// What is failing now, and trying it again: a job's open failures (the latest failure of each source
// record no later run wrote), and retries of one run's failed records or of all a job's open ones.
// A retry is a run like any other (queued, one per job at a time, counted, its failures kept) whose
// records come from the failures it retries; it never reads the source and never moves the watermark.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { eq } from 'drizzle-orm';
import { jobs, type JobRow } from '../../db/schema.js';
import { queueClientRun } from '../../services/job-lifecycle.js';
import { REPLAYED_HEADER, idempotent, keyedRequest } from '../../services/idempotency.js';
import { jobRetry, openFailureReasons, openFailuresPage, runRetry } from '../../services/open-failures.js';
import type { TriggerRequest } from '../../workflows/types.js';
import { notFound } from '../errors.js';
import { decodeIntegerCursor, encodeCursor } from '../paging.js';
import { IdParams, PageQuery, errorResponses } from '../schemas/common.js';
import { TriggerAnswer, TriggerHeaders, triggerResponses } from '../schemas/jobs.js';

const OpenFailure = Type.Object({
  sourceId: Type.String(),
  reason: Type.String(),
  keyValues: Type.Record(Type.String(), Type.Unknown()),
  runId: Type.String({ description: 'the run in which it failed last' }),
  failedAt: Type.String(),
  retryable: Type.Boolean({ description: 'false when no whole source record was kept (an unreadable line, a record over 64 KB)' }),
});

const FailuresPage = Type.Object({
  items: Type.Array(OpenFailure),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer(),
  byReason: Type.Array(Type.Object({ reason: Type.String({ description: "what failed: the field and conversion, the lookup, or the database's refusal" }), count: Type.Integer() })),
});

export const failureRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const services = app.services;
  const { db } = services.database;

  const loadJob = async (id: string): Promise<JobRow> => {
    const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
    if (!row) throw notFound('Job', id);
    return row;
  };

  app.get(
    '/jobs/:id/failures',
    { schema: { tags: ['jobs'], summary: "The job's open failures: each source record failing now, with its latest reason", params: IdParams, querystring: PageQuery, response: { 200: FailuresPage, ...errorResponses } } },
    async (request) => {
      const job = await loadJob(request.params.id);
      const limit = request.query.limit ?? 50;
      const page = await openFailuresPage(db, job.id, decodeIntegerCursor(request.query.cursor), limit);
      const byReason = await openFailureReasons(db, job.id);
      const last = page.items.at(-1);
      return {
        items: page.items.map(({ errorId: _, failedAt, ...f }) => ({ ...f, failedAt: failedAt.toISOString() })),
        nextCursor: page.more && last ? encodeCursor(String(last.errorId)) : null,
        total: byReason.reduce((sum, r) => sum + r.count, 0),
        byReason,
      };
    },
  );

  /** Queues a retry for the client, as the other triggers do (Idempotency-Key, 422, 429). */
  const retry = async (http: Parameters<typeof keyedRequest>[0], job: JobRow, trigger: TriggerRequest) => {
    const { answer, replayed } = await idempotent(db, keyedRequest(http, job.id, trigger), (updateId) => queueClientRun(services, http.actor.name, job, trigger, updateId));
    return { answer, replayed };
  };

  app.post(
    '/runs/:id/retry-failed',
    {
      schema: {
        tags: ['runs'],
        summary: "Retry a run's failed records under the job's current configuration",
        description: 'Starts a run (trigger retry_failed, parentRunId this run) that processes the failed records of this run that still fail, each from its latest stored source record (a record a later run wrote since is left alone, not overwritten with an older copy); it never reads the source again and never moves the watermark.',
        params: IdParams,
        headers: TriggerHeaders,
        response: { 202: TriggerAnswer, ...errorResponses, ...triggerResponses },
      },
    },
    async (request, reply) => {
      const { job, trigger } = await runRetry(db, request.params.id);
      const { answer, replayed } = await retry(request, job, trigger);
      if (replayed) reply.header(REPLAYED_HEADER, 'true');
      return reply.status(202).send(answer);
    },
  );

  app.post(
    '/jobs/:id/retry-failed',
    {
      schema: {
        tags: ['jobs'],
        summary: "Retry all of the job's open failures under its current configuration",
        description: 'Starts a run (trigger retry_failed) that processes every record failing now (GET /v1/jobs/:id/failures) from its stored source record; it never reads the source again and never moves the watermark.',
        params: IdParams,
        headers: TriggerHeaders,
        response: { 202: TriggerAnswer, ...errorResponses, ...triggerResponses },
      },
    },
    async (request, reply) => {
      const { job, trigger } = await jobRetry(db, request.params.id);
      const { answer, replayed } = await retry(request, job, trigger);
      if (replayed) reply.header(REPLAYED_HEADER, 'true');
      return reply.status(202).send(answer);
    },
  );
};
