import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One line per request, when it has been answered: its id (bound by Fastify), method, route and
 * path, status, time and who asked. Never headers, bodies or query strings: a token, a session
 * cookie or record data could be in them. Fastify's own is two lines with the client's address.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      actor: request.actor?.name ?? null,
    };
    if (error) reply.log.error({ ...line, error: error.message }, 'request');
    else reply.log.info(line, 'request');
  }
}
