import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkApiTokens, type ApiToken, type Role } from '../../config.js';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token's owner; `email` when API_TOKENS gives one. */
    actor: { name: string; role: Role; email: string | null };
  }
}

/** The OAuth callback is reached by a browser redirect: its single-use state authorizes it instead of a token. */
const OPEN_PATHS = new Set(['/healthz', '/openapi.json', '/v1/oauth/callback']);

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * The token a request presents, compared with every known token in constant time: over SHA-256
 * digests (equal lengths whatever was sent), against each token without stopping at a match, so
 * how long an answer takes says nothing about how close a guess came.
 */
export function tokenMatcher(tokens: ApiToken[]): (presented: string) => ApiToken | undefined {
  checkApiTokens(tokens);
  const known = tokens.map((token) => ({ token, digest: digest(token.token) }));
  return (presented) => {
    const given = digest(presented);
    let found: ApiToken | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, given)) found = k.token;
    return found;
  };
}

/** Bearer tokens with roles: viewers read, admins read and write. */
export function registerAuth(app: FastifyInstance, tokens: ApiToken[]): void {
  const match = tokenMatcher(tokens);
  app.decorateRequest('actor', null as unknown as FastifyRequest['actor']);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0]!;
    if (OPEN_PATHS.has(path) || path === '/docs' || path.startsWith('/docs/')) return;
    // The console signs people in with a session of its own (api/console/session.ts).
    if (path === '/console' || path.startsWith('/console/')) return;
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    const token = bearer ? match(bearer[1]!.trim()) : undefined;
    if (!token) throw new ApiError(401, 'unauthorized', 'Send a valid API token as "Authorization: Bearer <token>".');
    request.actor = { name: token.name, role: token.role, email: token.email ?? null };
    // A route that changes nothing a viewer may not see (a preview) says so in its config.
    const viewerMayPost = (request.routeOptions.config as { viewerMayPost?: boolean } | undefined)?.viewerMayPost === true;
    if (request.method !== 'GET' && request.method !== 'HEAD' && token.role !== 'admin' && !viewerMayPost) {
      throw new ApiError(403, 'forbidden', `The token "${token.name}" is a viewer token and can only read; use an admin token to make changes.`);
    }
  });
}
