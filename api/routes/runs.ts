import { Readable, pipeline } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import { eq } from 'drizzle-orm';
import { runs } from '../../db/schema.js';
import { withFiles } from '../../services/run-files.js';
import { runConfigurationDocument } from '../../services/run-configuration.js';
import { workflowIds } from '../../temporal/names.js';
import { cancelRunSignal, stateQuery } from '../../workflows/types.js';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { LOST_RUN_ERROR, endLostRuns, toRunDocument } from '../../services/runs.js';
import { FINAL_STATUSES, type RunStatus } from '../../sync/types.js';
import { spreadsheetSafe } from '../csv-cells.js';
import { conflict, notFound } from '../errors.js';
import { IdParams, errorResponses } from '../schemas/common.js';
import { RunDocument } from '../schemas/runs.js';

export const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, temporal } = app.services;
  const { db, sql } = database;

  const load = async (id: string) => {
    const [row] = await db.select().from(runs).where(eq(runs.id, id));
    if (!row) throw notFound('Run', id);
    return row;
  };

  app.get('/runs/:id', { schema: { summary: 'A run: status, window, counts, progress and the configuration it runs', params: IdParams, response: { 200: Type.Ref(RunDocument), ...errorResponses } } }, async (request) => {
    const run = await load(request.params.id);
    return withFiles(db, { ...toRunDocument(run), configuration: run.configuration ? runConfigurationDocument(run.configuration) : null });
  });

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
      const csv = stringify({ header: true, columns: ['source_id', 'key_values', 'reason', 'record'] });
      // Streamed in batches: a run with a million failures must not be held in memory.
      const rows = sql`select source_id, key_values, reason, record from run_errors where run_id = ${run.id} order by id`.cursor(1000);
      const source = Readable.from(
        (async function* () {
          for await (const batch of rows) {
            for (const row of batch) yield [row.source_id, JSON.stringify(row.key_values), row.reason, JSON.stringify(row.record)].map(spreadsheetSafe);
          }
        })(),
      );
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${run.id}-errors.csv"`);
      // pipeline, not pipe: a client that goes away destroys the CSV stream, and with it the rows'
      // cursor, which otherwise held its database connection for good.
      const body = pipeline(source, csv, (error) => {
        if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') request.log.warn({ err: error }, 'errors download stopped');
      });
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
