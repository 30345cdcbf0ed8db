// What is failing now, and trying it again: a job's open failures (the latest failure of each source
// record no later run wrote), and retries of one run's failed records or of all a job's open ones.
// A retry is a run like any other (queued, one per job at a time, counted, its failures kept) whose
// records come from the failures it retries; it never reads the source and never moves the watermark.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { and, desc, eq, lt, sql as dsql } from 'drizzle-orm';
import { jobs, openFailures, runErrors, runs, type JobRow } from '../../db/schema.js';
import { queueClientRun } from '../../services/job-lifecycle.js';
import { REPLAYED_HEADER, idempotent, keyedRequest } from '../../services/idempotency.js';
import { FINAL_STATUSES, type RunStatus } from '../../sync/types.js';
import type { TriggerRequest } from '../../workflows/types.js';
import { conflict, notFound } from '../errors.js';
import { decodeIntegerCursor, pageOf } from '../paging.js';
import { IdParams, PageQuery, errorResponses } from '../schemas/common.js';
import { TriggerAnswer, TriggerHeaders, triggerResponses } from '../schemas/jobs.js';

const EPOCH = new Date(0).toISOString();

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
      const before = decodeIntegerCursor(request.query.cursor);
      const rows = await db
        .select({ errorId: openFailures.errorId, sourceId: openFailures.sourceId, runId: openFailures.runId, failedAt: openFailures.failedAt, reason: runErrors.reason, keyValues: runErrors.keyValues, truncated: runErrors.recordTruncated, rejected: runErrors.rejected })
        .from(openFailures)
        .innerJoin(runErrors, eq(runErrors.id, openFailures.errorId))
        .where(and(eq(openFailures.jobId, job.id), before !== null ? lt(openFailures.errorId, before) : undefined))
        .orderBy(desc(openFailures.errorId))
        .limit(limit + 1);
      // The part of a reason before its first ": " names what failed (a field, a lookup), not the value.
      const kind = dsql<string>`split_part(${runErrors.reason}, ': ', 1)`;
      const byReason = await db
        .select({ reason: kind, count: dsql<number>`count(*)::int` })
        .from(openFailures)
        .innerJoin(runErrors, eq(runErrors.id, openFailures.errorId))
        .where(eq(openFailures.jobId, job.id))
        .groupBy(kind)
        .orderBy(desc(dsql`count(*)`));
      const page = pageOf(rows, limit, (r) => String(r.errorId));
      return {
        items: page.items.map((r) => ({ sourceId: r.sourceId, reason: r.reason, keyValues: r.keyValues, runId: r.runId, failedAt: r.failedAt.toISOString(), retryable: !r.truncated && !r.rejected })),
        nextCursor: page.nextCursor,
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
        description: 'Starts a run (trigger retry_failed, parentRunId this run) that processes exactly the failed records of this run from their stored source records; it never reads the source again and never moves the watermark.',
        params: IdParams,
        headers: TriggerHeaders,
        response: { 202: TriggerAnswer, ...errorResponses, ...triggerResponses },
      },
    },
    async (request, reply) => {
      const [run] = await db.select().from(runs).where(eq(runs.id, request.params.id));
      if (!run) throw notFound('Run', request.params.id);
      if (!FINAL_STATUSES.includes(run.status as RunStatus)) throw conflict('run_not_finished', `Run ${run.id} is still ${run.status}; retry its failed records once it has ended.`);
      if (run.failed === 0) throw conflict('nothing_to_retry', `Run ${run.id} has no failed records to retry.`);
      const job = await loadJob(run.jobId);
      const window = { from: run.windowFrom?.toISOString() ?? EPOCH, to: run.windowTo?.toISOString() ?? null };
      const { answer, replayed } = await retry(request, job, { trigger: 'retry_failed', parentRunId: run.id, window });
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
      const job = await loadJob(request.params.id);
      const [open] = await db.select({ n: dsql<number>`count(*)::int` }).from(openFailures).where(eq(openFailures.jobId, job.id));
      if (!open || open.n === 0) throw conflict('nothing_to_retry', `Job "${job.name}" has no open failures to retry.`);
      const { answer, replayed } = await retry(request, job, { trigger: 'retry_failed', parentRunId: null, window: { from: EPOCH, to: null } });
      if (replayed) reply.header(REPLAYED_HEADER, 'true');
      return reply.status(202).send(answer);
    },
  );
};
