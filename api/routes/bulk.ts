// Bulk API uploads: a CSV or TSV body streamed into staging, then a run of the job to ingest it.
import { Readable, Transform } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { desc, eq } from 'drizzle-orm';
import { connections, jobs, uploads, type UploadRow } from '../../db/schema.js';
import { BULK_API_ID, stageUpload } from '../../connectors/bulk-api/index.js';
import type { Delimiter } from '../../connectors/files/csv.js';
import { forbiddenColumnsReason } from '../../connectors/files/records.js';
import { findConnector } from '../../connectors/registry.js';
import { assertRunnable } from '../../services/jobs.js';
import { newId } from '../../services/ids.js';
import { sourceFieldsOf } from '../../sync/source-fields.js';
import { queueClientRun } from '../../services/job-lifecycle.js';
import { REPLAYED_HEADER, idempotent, keyedRequest } from '../../services/idempotency.js';
import { ApiError, badRequest, notFound, unprocessable } from '../errors.js';
import { errorResponses } from '../schemas/common.js';
import { JobIdParams, Upload, UploadAnswer, UploadQuery } from '../schemas/bulk.js';
import { TriggerHeaders, triggerResponses } from '../schemas/jobs.js';

const MAX_FILE_BYTES = 1024 ** 3;
const FILE_TYPES = ['text/csv', 'text/tab-separated-values', 'text/plain', 'application/octet-stream'];
const DELIMITER_OF_TYPE: Record<string, Delimiter> = { 'text/csv': 'comma', 'text/tab-separated-values': 'tab' };

export const bulkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const services = app.services;
  const { db, sql } = services.database;

  // Files pass through as the request stream: parsing and staging read it as it arrives.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(FILE_TYPES, (_request, payload, done) => done(null, payload));

  const loadBulkJob = async (jobId: string) => {
    const [row] = await db.select({ job: jobs, connector: connections.connector }).from(jobs).innerJoin(connections, eq(connections.id, jobs.connectionId)).where(eq(jobs.id, jobId));
    if (!row) throw notFound('Job', jobId);
    if (row.connector !== BULK_API_ID) {
      throw unprocessable('not_a_bulk_job', `Job "${row.job.name}" reads from ${findConnector(row.connector)?.name ?? row.connector}; files can be uploaded only to jobs of a Bulk API connection.`);
    }
    return row.job;
  };

  app.post(
    '/bulk/jobs/:jobId/files',
    {
      bodyLimit: MAX_FILE_BYTES,
      schema: {
        summary: 'Upload a CSV or TSV file to a Bulk API job and run the job on it',
        description: 'The body is the file itself (text/csv or text/tab-separated-values, up to 1 GB), streamed into staging. Its header must hold every field the job reads.',
        consumes: FILE_TYPES,
        params: JobIdParams,
        querystring: UploadQuery,
        headers: TriggerHeaders,
        response: { 202: UploadAnswer, ...errorResponses, ...triggerResponses, 413: Type.Ref('Error'), 415: Type.Ref('Error') },
      },
    },
    async (request, reply) => {
      const job = await loadBulkJob(request.params.jobId);
      assertRunnable(job);
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!(request.body instanceof Readable)) {
        throw new ApiError(415, 'unsupported_media_type', `Send the file itself as the body, as text/csv or text/tab-separated-values (the content type was ${type || 'missing'}).`);
      }
      const delimiter = request.query.delimiter ?? (Object.hasOwn(DELIMITER_OF_TYPE, type) ? DELIMITER_OF_TYPE[type] : undefined);
      if (!delimiter) throw badRequest(`Say how fields are separated: send the file as text/csv or text/tab-separated-values, or add ?delimiter=comma or ?delimiter=tab (the content type was ${type || 'missing'}).`, [{ path: 'querystring/delimiter', message: 'comma or tab' }]);
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > MAX_FILE_BYTES) throw tooLarge();
      const body = request.body;
      const { answer, replayed } = await idempotent(db, keyedRequest(request, job.id, request.query, type), async (updateId) => {
        const limited = limitBytes(MAX_FILE_BYTES);
        body.on('error', (error) => limited.destroy(error));
        const id = newId('upload');
        const result = await stageUpload(sql, { id, jobId: job.id, name: request.query.name ?? id, delimiter, fields: sourceFieldsOf(job), body: body.pipe(limited) });
        // A refusal comes before the rest of the body is read: closing the connection spares the
        // client sending (and us discarding) the remainder of a large file.
        if (!result.staged) reply.header('connection', 'close');
        if (!result.staged && result.reason === 'no_header') throw unprocessable('no_header', 'The file is empty: its first line must be a header naming the columns.');
        if (!result.staged && result.reason === 'forbidden_columns') {
          throw unprocessable(
            'forbidden_columns',
            `${forbiddenColumnsReason(result.columns)}. Nothing was staged.`,
            result.columns.map((column) => ({ path: `header/${column}`, message: 'not allowed as a field name' })),
          );
        }
        if (!result.staged) {
          throw unprocessable(
            'missing_columns',
            `The file lacks column${result.missing.length === 1 ? '' : 's'} the job "${job.name}" reads: ${result.missing.join(', ')}. Add ${result.missing.length === 1 ? 'it' : 'them'} to the header, or change the job's mappings, lookups or filters. Nothing was staged.`,
            result.missing.map((column) => ({ path: `header/${column}`, message: 'missing column' })),
          );
        }
        let triggered;
        try {
          triggered = await queueClientRun(services, request.actor.name, job, { trigger: 'upload' }, updateId);
        } catch (error) {
          if (error instanceof ApiError && error.code === 'queue_full') throw new ApiError(429, 'queue_full', `${error.message} The file was staged (upload ${id}): the job's next run reads it.`);
          throw error;
        }
        const [upload] = await db.update(uploads).set({ runId: triggered.runId }).where(eq(uploads.id, id)).returning();
        return { ...triggered, upload: toUploadDocument(upload!) };
      });
      // The same file sent again is not read: the connection closes instead.
      if (replayed) reply.header(REPLAYED_HEADER, 'true').header('connection', 'close');
      return reply.status(202).send(answer);
    },
  );

  app.get(
    '/bulk/jobs/:jobId/files',
    { schema: { summary: "The job's uploads, newest first", params: JobIdParams, response: { 200: Type.Object({ items: Type.Array(Upload), nextCursor: Type.Null() }), ...errorResponses } } },
    async (request) => {
      const job = await loadBulkJob(request.params.jobId);
      const rows = await db.select().from(uploads).where(eq(uploads.jobId, job.id)).orderBy(desc(uploads.seq)).limit(100);
      return { items: rows.map(toUploadDocument), nextCursor: null };
    },
  );
};

function toUploadDocument(row: UploadRow) {
  return {
    id: row.id,
    jobId: row.jobId,
    name: row.name,
    delimiter: row.delimiter,
    header: row.header,
    rows: row.rows,
    malformed: row.malformed,
    status: row.status,
    runId: row.runId,
    consumedByRun: row.consumedByRun,
    receivedAt: new Date(row.receivedAt).toISOString(),
    consumedAt: row.consumedAt ? new Date(row.consumedAt).toISOString() : null,
  };
}

const tooLarge = () => new ApiError(413, 'file_too_large', `A file may be at most ${MAX_FILE_BYTES / 1024 ** 3} GB; split it into several uploads.`);

/** Fails the stream, and so the staging transaction, once more than `limit` bytes have come. */
function limitBytes(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > limit ? tooLarge() : null, chunk);
    },
  });
}
