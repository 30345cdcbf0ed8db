import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, type ErrorDetail } from '../errors.js';

/** One shape for every error; internals of a 5xx stay in the log. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string }, request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(error.statusCode).send({ error: { code: error.code, message: error.message, details: error.details } });
    }
    if (error.validation) {
      const part = error.validationContext ?? 'body';
      const details: ErrorDetail[] = error.validation.map((v) => {
        const extra = v.params?.additionalProperty ? ` "${String(v.params.additionalProperty)}": remove it` : '';
        const allowed = Array.isArray(v.params?.allowedValues) ? ` (${(v.params.allowedValues as unknown[]).join(', ')})` : '';
        return { path: `${part}${v.instancePath}`, message: `${v.message ?? 'is invalid'}${allowed}${extra}` };
      });
      return reply.status(400).send({ error: { code: 'invalid_request', message: details.map((d) => `${d.path}: ${d.message}`).join('; '), details } });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: (error.code ?? 'invalid_request').toLowerCase(), message: error.message, details: [] } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side; the request was not completed. Try again, and tell us if it keeps happening.', details: [] } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'route_not_found', message: `There is no ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`, details: [] } }),
  );
}
