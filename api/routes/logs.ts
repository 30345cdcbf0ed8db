import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditLogPage, connectionLogPage, executionLogPage, type RunKey } from '../../services/logs.js';
import { badRequest } from '../errors.js';
import { decodeCursor, decodeIntegerCursor, encodeCursor } from '../paging.js';
import { errorResponses } from '../schemas/common.js';
import { LogPage, LogQuery } from '../schemas/logs.js';

const wrongCursor = () =>
  badRequest('cursor is not one this log handed out; pass nextCursor from the previous page of the same log', [{ path: 'querystring/cursor', message: 'invalid cursor for this log type' }]);

const RUN_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(.+)$/;

function runCursor(cursor: string | undefined): RunKey | null {
  const key = decodeCursor(cursor);
  if (key === null) return null;
  const match = RUN_KEY.exec(key);
  const queuedAt = match?.[1];
  // A real calendar date, so PostgreSQL never sees one it would refuse (a 30 February).
  const real = queuedAt !== undefined && !Number.isNaN(Date.parse(queuedAt)) && new Date(queuedAt).toISOString().slice(0, 19) === queuedAt.slice(0, 19);
  if (!real) throw wrongCursor();
  return { queuedAt, id: match![2]! };
}

export const logRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.services.database;

  app.get(
    '/logs',
    {
      schema: {
        summary: 'The audit, execution or connection log, newest first',
        description: 'Filter by connector, connection or job. The connection log has no job filter.',
        querystring: LogQuery,
        response: { 200: LogPage, ...errorResponses },
      },
    },
    async (request) => {
      const { type, connector, connectionId, jobId, cursor } = request.query;
      const limit = request.query.limit ?? 50;
      const filters = { connector, connectionId, jobId };
      if (type === 'connection' && jobId) {
        throw badRequest('jobId filters the audit and execution logs; the connection log is filtered by connector or connectionId', [{ path: 'querystring/jobId', message: 'not a filter of the connection log' }]);
      }
      const page =
        type === 'execution'
          ? await executionLogPage(db, filters, limit, runCursor(cursor))
          : type === 'connection'
            ? await connectionLogPage(db, filters, limit, decodeIntegerCursor(cursor))
            : await auditLogPage(db, filters, limit, decodeIntegerCursor(cursor));
      return { items: page.items, nextCursor: page.lastKey === null ? null : encodeCursor(page.lastKey) };
    },
  );
};
