import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, type ErrorDetail } from '../errors.js';
import { validationDetails, type SchemaError } from './validation-details.js';

const send = (status: number, code: string, message: string, details: ErrorDetail[] = []) => ({ status, body: { error: { code, message, details } } });

/** Fastify's own refusals of a request body, said so that a person knows what to send instead. */
function bodyRefusal(error: FastifyError, bodyLimit: number) {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return send(413, 'payload_too_large', `The request body is larger than the ${Math.round(bodyLimit / 1024)} KB limit; send a smaller change.`, [{ path: 'body', message: `must be at most ${bodyLimit} bytes` }]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return send(400, 'malformed_json', `The body is not valid JSON (${error.message}); send a JSON document with content-type application/json.`, [{ path: 'body', message: 'is not valid JSON' }]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return send(400, 'malformed_json', 'The body is empty although content-type is application/json; send a JSON document or no content-type.', [{ path: 'body', message: 'is empty' }]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return send(415, 'unsupported_media_type', 'Send the body as JSON with content-type application/json.', [{ path: 'body', message: 'unsupported content-type' }]);
    default:
      return null;
  }
}

/** One shape for every error; internals of a 5xx stay in the log. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: SchemaError[]; validationContext?: string }, request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(error.statusCode).send({ error: { code: error.code, message: error.message, details: error.details } });
    }
    if (error.validation) {
      const details = validationDetails(error.validationContext ?? 'body', error.validation);
      return reply.status(400).send({ error: { code: 'invalid_request', message: details.map((d) => `${d.path}: ${d.message}`).join('; '), details } });
    }
    const refusal = bodyRefusal(error, app.initialConfig.bodyLimit ?? 1024 * 1024);
    if (refusal) return reply.status(refusal.status).send(refusal.body);
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
