import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Query values a log must never hold: an OAuth code and state let their holder finish an authorization. */
const SECRET_QUERY = /([?&](?:code|state)=)[^&]*/g;

/** A request's URL as logs may show it. */
export const loggableUrl = (url: string) => url.replace(SECRET_QUERY, '$1[redacted]');

/**
 * One line per request, when it has been answered: its id (bound by Fastify), method, route and
 * URL (an OAuth code or state redacted), status, time and who asked. Never headers or bodies: a
 * token or a session cookie travels there. Fastify's own is two lines with the client's address.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      url: loggableUrl(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      actor: request.actor?.name ?? null,
    };
    if (error) reply.log.error({ ...line, error: error.message }, 'request');
    else reply.log.info(line, 'request');
  }
}
