import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const State = Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('no_worker')]);
const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]), database: State, temporal: State });

/** A check that hangs says down rather than holding the probe that asked (compose's waits 5 s). */
const CHECK_TIMEOUT_MS = 3000;

/**
 * 200 only when PostgreSQL answers and a worker is polling Syncline's task queue. Anyone may ask, so
 * the answer names each part's state and nothing else: errors (addresses, user names, versions)
 * go to the log, for operators.
 */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { summary: 'Health of the API, its database and Temporal', security: [], response: { 200: Health, 503: Health } } }, async (request, reply) => {
    const { database, temporal } = app.services;
    const down = (part: string) => (error: unknown) => {
      request.log.warn({ err: error }, `health: ${part} is down`);
      return 'down' as const;
    };
    const [db, tq] = await Promise.all([
      withTimeout(database.sql`select 1`).then(() => 'ok' as const, down('PostgreSQL')),
      // A deadline rather than a race: the client's own retries end with it, instead of going on
      // behind an answer already sent.
      temporal.client.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
        temporal.client.workflowService.describeTaskQueue({ namespace: temporal.client.options.namespace, taskQueue: { name: temporal.taskQueue }, taskQueueType: 1 }),
      ).then((answer) => ((answer.pollers ?? []).length > 0 ? ('ok' as const) : ('no_worker' as const)), down('Temporal')),
    ]);
    const ok = db === 'ok' && tq === 'ok';
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', database: db, temporal: tq });
  });
};

function withTimeout<T>(promise: PromiseLike<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}
