// The Fastify application: external plugins, then Syncline's services, then routes.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiToken } from '../config.js';
import type { Database } from '../db/client.js';
import type { SecretBox } from '../services/secrets.js';
import type { Outbound } from '../services/outbound.js';
import type { TemporalContext } from '../temporal/context.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandler } from './plugins/error-handler.js';
import { RequestLog, loggableUrl } from './plugins/request-log.js';
import { registerValidation } from './plugins/validation.js';
import { ErrorBody } from './schemas/common.js';
import { ScheduleBody, JobDocument } from './schemas/jobs.js';
import { RunDocument } from './schemas/runs.js';
import { healthRoutes } from './routes/health.js';
import { connectionRoutes } from './routes/connections.js';
import { jobRoutes } from './routes/jobs.js';
import { runRoutes } from './routes/runs.js';
import { objectRoutes } from './routes/objects.js';
import { bulkRoutes } from './routes/bulk.js';
import { logRoutes } from './routes/logs.js';
import { chainRoutes } from './routes/chains.js';
import { failureRoutes } from './routes/failures.js';
import { previewRoutes } from './routes/previews.js';
import { MAX_UPLOAD_MS } from '../connectors/bulk-api/staging.js';
import { oauthRoutes } from './routes/oauth.js';
import { webhookRoutes } from './routes/webhooks.js';
import { consoleRoutes } from './console/routes.js';

export interface AppServices {
  database: Database;
  temporal: TemporalContext;
  secrets: SecretBox;
  outbound: Outbound;
  tokens: ApiToken[];
  publicUrl: string;
  /** The Temporal Web UI, for the console's links to a run's workflow; none when unset. */
  temporalUiUrl?: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppServices;
  }
}

export type App = FastifyInstance;

/** The OpenAPI groups, in the order /docs shows them; every route of the API is in one. */
const TAGS = [
  { name: 'connections', description: 'Connectors, connections to source systems and their authorization' },
  { name: 'jobs', description: 'Data sync jobs: mappings, schedules, previews, Import Now and Import From Date' },
  { name: 'runs', description: 'Runs: status, retry state, counts, failed records and their retries' },
  { name: 'chains', description: 'Job chains: jobs that run one after the other' },
  { name: 'logs', description: 'The audit, execution and connection logs' },
  { name: 'objects', description: "The data platform's objects and their records" },
  { name: 'bulk', description: 'Bulk API file uploads' },
  { name: 'health', description: 'Whether the API, its database and Temporal are up' },
] as const;
type Tag = (typeof TAGS)[number]['name'];

/** Routes registered through this are listed under `tag` in the OpenAPI document. */
function tagged(routes: FastifyPluginAsync, tag: Tag): FastifyPluginAsync {
  return async (scope) => {
    // @fastify/swagger keeps each route's options and reads their schema when it builds the document.
    scope.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, tags: [tag] };
    });
    await scope.register(routes);
  };
}

export async function buildApp(services: AppServices, options: { logger?: boolean; logStream?: NodeJS.WritableStream } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.logger || options.logStream
        ? {
            level: 'info',
            // Nothing logs a request's headers; this is the net under that, should someone add them.
            redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
            serializers: {
              req: (req: { method: string; url: string; hostname?: string; ip?: string }) => ({ method: req.method, url: loggableUrl(req.url), hostname: req.hostname, remoteAddress: req.ip }),
            },
            ...(options.logStream ? { stream: options.logStream } : {}),
          }
        : false,
    logController: new RequestLog(),
    bodyLimit: 1024 * 1024,
    // No request holds a socket, and what it reads from the database, for longer than an upload may take.
    requestTimeout: MAX_UPLOAD_MS,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerValidation(app);
  registerErrorHandler(app);
  app.addSchema(ErrorBody);
  app.addSchema(ScheduleBody);
  app.addSchema(JobDocument);
  app.addSchema(RunDocument);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Syncline API', version: '1.0.0', description: 'Data sync jobs from customer-success sources into the data platform, run as durable Temporal workflows.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      tags: TAGS.map((t) => ({ ...t })),
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.decorate('services', services);
  registerAuth(app, services.tokens);

  await app.register(tagged(healthRoutes, 'health'));
  await app.register(tagged(connectionRoutes, 'connections'), { prefix: '/v1' });
  await app.register(tagged(jobRoutes, 'jobs'), { prefix: '/v1' });
  await app.register(tagged(runRoutes, 'runs'), { prefix: '/v1' });
  await app.register(tagged(objectRoutes, 'objects'), { prefix: '/v1' });
  await app.register(tagged(bulkRoutes, 'bulk'), { prefix: '/v1' });
  await app.register(tagged(logRoutes, 'logs'), { prefix: '/v1' });
  await app.register(tagged(chainRoutes, 'chains'), { prefix: '/v1' });
  await app.register(tagged(failureRoutes, 'runs'), { prefix: '/v1' });
  await app.register(tagged(previewRoutes, 'jobs'), { prefix: '/v1' });
  await app.register(tagged(oauthRoutes, 'connections'), { prefix: '/v1' });
  await app.register(tagged(webhookRoutes, 'jobs'), { prefix: '/v1' });
  await app.register(consoleRoutes, { prefix: '/console' });
  return app;
}
