import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Health = Type.Object({ status: Type.String(), database: Type.String(), temporal: Type.String() });

/** 200 only when PostgreSQL answers and a worker is polling Syncline's task queue. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { summary: 'Health of the API, its database and Temporal', security: [], response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    const { database, temporal } = app.services;
    const db = await database.sql`select 1`.then(
      () => 'ok',
      (error: Error) => `down: ${error.message}`,
    );
    const tq = await temporal.client.workflowService
      .describeTaskQueue({ namespace: temporal.client.options.namespace, taskQueue: { name: temporal.taskQueue }, taskQueueType: 1 })
      .then(
        (answer) => ((answer.pollers ?? []).length > 0 ? 'ok' : `no worker is polling task queue "${temporal.taskQueue}"`),
        (error: Error) => `down: ${error.message}`,
      );
    const ok = db === 'ok' && tq === 'ok';
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', database: db, temporal: tq });
  });
};
