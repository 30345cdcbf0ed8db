// The Fastify application: external plugins, then Syncline's services, then routes.
import Fastify, { type FastifyInstance } from 'fastify';
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

export interface AppServices {
  database: Database;
  temporal: TemporalContext;
  secrets: SecretBox;
  outbound: Outbound;
  tokens: ApiToken[];
  publicUrl: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppServices;
  }
}

export type App = FastifyInstance;

/** Query values a log must never hold: an OAuth code and state let their holder finish an authorization. */
const SECRET_QUERY = /([?&](?:code|state)=)[^&]*/g;

export async function buildApp(services: AppServices, options: { logger?: boolean; logStream?: NodeJS.WritableStream } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.logger || options.logStream
        ? {
            level: 'info',
            redact: ['req.headers.authorization'],
            serializers: {
              req: (req: { method: string; url: string; hostname?: string; ip?: string }) => ({ method: req.method, url: req.url.replace(SECRET_QUERY, '$1[redacted]'), hostname: req.hostname, remoteAddress: req.ip }),
            },
            ...(options.logStream ? { stream: options.logStream } : {}),
          }
        : false,
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
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.decorate('services', services);
  registerAuth(app, services.tokens);

  await app.register(healthRoutes);
  await app.register(connectionRoutes, { prefix: '/v1' });
  await app.register(jobRoutes, { prefix: '/v1' });
  await app.register(runRoutes, { prefix: '/v1' });
  await app.register(objectRoutes, { prefix: '/v1' });
  await app.register(bulkRoutes, { prefix: '/v1' });
  await app.register(logRoutes, { prefix: '/v1' });
  await app.register(chainRoutes, { prefix: '/v1' });
  await app.register(failureRoutes, { prefix: '/v1' });
  await app.register(previewRoutes, { prefix: '/v1' });
  await app.register(oauthRoutes, { prefix: '/v1' });
  await app.register(webhookRoutes, { prefix: '/v1' });
  return app;
}
