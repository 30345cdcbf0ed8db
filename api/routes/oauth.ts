// Where a source's authorization page sends the browser back (OAuth's redirect URI). It carries no
// API token: the single-use state, bound to one connection when authorization began, is what
// authorizes the request.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { completeAuthorization } from '../../services/authorization.js';
import { toConnectionDocument } from '../../services/connections.js';
import { errorResponses } from '../schemas/common.js';
import { Connection } from './connections.js';

export const oauthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, secrets, outbound } = app.services;
  app.get(
    '/oauth/callback',
    {
      schema: {
        summary: 'OAuth redirect URI: a browser arrives here from the source with a code (or an error) and the state; no API token',
        security: [],
        querystring: Type.Object({
          state: Type.String({ minLength: 1, maxLength: 512 }),
          code: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
          error: Type.Optional(Type.String({ maxLength: 200 })),
          error_description: Type.Optional(Type.String({ maxLength: 1000 })),
        }),
        response: {
          200: Type.Object({ message: Type.String(), connection: Connection }),
          ...errorResponses,
          503: Type.Ref('Error'),
        },
      },
    },
    async (request) => {
      const { state, code, error, error_description: errorDescription } = request.query;
      const row = await completeAuthorization(database.db, secrets, outbound, { state, code, error, errorDescription });
      return { message: `Connection "${row.name}" is authorized; you can close this window.`, connection: toConnectionDocument(row) };
    },
  );
};
