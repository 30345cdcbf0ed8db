import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { and, desc, eq, lt, or, sql as dsql } from 'drizzle-orm';
import { runs } from '../../db/schema.js';
import { withFiles } from '../../services/run-files.js';
import { runErrorsCsv } from '../../services/run-errors.js';
import { runConfigurationDocument } from '../../services/run-configuration.js';
import { workflowIds } from '../../temporal/names.js';
import { cancelRunSignal, stateQuery } from '../../workflows/types.js';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { LOST_RUN_ERROR, endLostRuns, runConditions, toRunDocument } from '../../services/runs.js';
import { liveWaiting } from '../../temporal/run-waiting.js';
import { FINAL_STATUSES, type RunStatus } from '../../sync/types.js';
import { conflict, notFound } from '../errors.js';
import { IdParams, Page, errorResponses } from '../schemas/common.js';
import { RunDocument, RunsQuery } from '../schemas/runs.js';
import { decodeTimeCursor, encodeTimeCursor } from '../paging.js';

/** A run's queue time as text at full precision, for cursors. */
const queuedAtText = dsql<string>`to_char(${runs.queuedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, temporal } = app.services;
  const { db, sql } = database;

  const load = async (id: string) => {
    const [row] = await db.select().from(runs).where(eq(runs.id, id));
    if (!row) throw notFound('Run', id);
    return row;
  };

  app.get(
    '/runs',
    {
      schema: {
        summary: 'Runs of every job, newest first, filtered by job, status, trigger and when they were asked for',
        querystring: RunsQuery,
        response: { 200: Page(Type.Ref(RunDocument)), ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = decodeTimeCursor(request.query.cursor);
      const rows = await db
        .select({ run: runs, at: queuedAtText })
        .from(runs)
        .where(
          and(
            ...runConditions(request.query),
            after ? or(lt(runs.queuedAt, dsql`${after.at}::timestamptz`), and(eq(runs.queuedAt, dsql`${after.at}::timestamptz`), lt(runs.id, after.id))) : undefined,
          ),
        )
        .orderBy(desc(runs.queuedAt), desc(runs.id))
        .limit(limit + 1);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items: items.map((r) => toRunDocument(r.run)), nextCursor: rows.length > limit && last ? encodeTimeCursor({ at: last.at, id: last.run.id }) : null };
    },
  );

  app.get(
    '/runs/:id',
    {
      schema: {
        summary: 'A run: status (retrying while it waits on an outage, with why), window, counts, progress and the configuration it runs',
        params: IdParams,
        response: { 200: Type.Ref(RunDocument), ...errorResponses },
      },
    },
    async (request) => {
      const run = await load(request.params.id);
      const live = await liveWaiting(temporal, run).catch((error: unknown) => {
        request.log.warn({ err: error }, 'Temporal could not say whether the run waits on retries; showing what its attempts recorded');
        return undefined;
      });
      return withFiles(db, { ...toRunDocument(run, live), configuration: run.configuration ? runConfigurationDocument(run.configuration) : null });
    },
  );

  app.get(
    '/runs/:id/errors',
    {
      schema: {
        summary: "The run's failed records as CSV",
        params: IdParams,
        // Per status, so the document says the CSV is text/csv and an error is the usual JSON.
        response: { 200: { description: 'CSV: source_id, key_values, reason, record', content: { 'text/csv': { schema: Type.String() } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const run = await load(request.params.id);
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${run.id}-errors.csv"`);
      const body = runErrorsCsv(sql, run.id, (error) => request.log.warn({ err: error }, 'errors download stopped'));
      // The declared 200 schema documents the CSV for OpenAPI; the body itself is a stream.
      return reply.send(body as unknown as string);
    },
  );

  app.post('/runs/:id/cancel', { schema: { summary: 'Cancel a queued or running run; what it upserted stays', params: IdParams, response: { 202: Type.Object({ id: Type.String(), status: Type.String() }), ...errorResponses } } }, async (request, reply) => {
    const run = await load(request.params.id);
    if (FINAL_STATUSES.includes(run.status as RunStatus)) throw conflict('run_finished', `Run ${run.id} already ended (${run.status}); there is nothing to cancel.`);
    const job = temporal.client.workflow.getHandle(workflowIds.job(run.jobId));
    if (!(await jobWorkflowKnows(job, run.id))) {
      await endLostRuns(db, run.jobId, { runId: run.id });
      throw conflict('run_lost', `Run ${run.id} cannot be cancelled: ${LOST_RUN_ERROR.message} It now shows as failure.`);
    }
    await job.signal(cancelRunSignal, run.id);
    return reply.status(202).send({ id: run.id, status: 'cancelling' });
  });
};

/** Whether the job's workflow is running and has the run running or queued. */
async function jobWorkflowKnows(job: WorkflowHandle, runId: string): Promise<boolean> {
  try {
    const { status } = await job.describe();
    if (status.name !== 'RUNNING') return false;
    const state = await job.query(stateQuery);
    return state.running === runId || state.queued.includes(runId);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
