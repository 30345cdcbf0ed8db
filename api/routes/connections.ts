import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { desc, eq, lt } from 'drizzle-orm';
import { connections, jobs } from '../../db/schema.js';
import { connectorRegistry } from '../../connectors/registry.js';
import { SynclineError } from '../../sync/errors.js';
import { assertFixedKept, assertUrlSettingsAllowed, auditedConnection, connectorOrFail, createConnection, setConnectionStatus, splitConfig, toConnectionDocument } from '../../services/connections.js';
import { recordAudit } from '../../services/audit.js';
import { newId } from '../../services/ids.js';
import { openSession } from '../../services/sessions.js';
import { MASK } from '../../services/secrets.js';
import { assertJobsRemovable, removeJob } from '../../services/job-lifecycle.js';
import { beginAuthorization, resetAuthorization, revokeGrantOf } from '../../services/authorization.js';
import { createFromTemplate, listTemplates } from '../../services/job-templates.js';
import { describedObjects, forgetObjects } from '../../services/source-objects.js';
import { notificationsFor } from '../../services/jobs.js';
import type { ConnectorSession } from '../../connectors/types.js';
import { jobDocument } from '../../services/next-runs.js';
import { ApiError, conflict, notFound } from '../errors.js';
import { IdParams, Page, PageQuery, errorResponses } from '../schemas/common.js';
import { pageOf, decodeCursor } from '../paging.js';

export const Connection = Type.Object({
  id: Type.String(),
  connector: Type.String(),
  name: Type.String(),
  config: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String({ description: 'active, error, or needs_authorization (a person must authorize the connection: POST /v1/connections/:id/authorize)' }),
  statusMessage: Type.Union([Type.String(), Type.Null()], { description: 'why the status is not active' }),
  authorization: Type.Union([Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])), Type.Null()], {
    description: 'for connectors that authorize (Salesforce): the instance, org and user the grant reaches, how and when it was made; never a token',
  }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const SourceFieldSchema = Type.Object({
  name: Type.String(),
  type: Type.String(),
  custom: Type.Boolean(),
  sourceType: Type.Optional(Type.String({ description: "the source's own type (Salesforce: picklist, currency, reference, ...)" })),
  label: Type.Optional(Type.String()),
  filterable: Type.Optional(Type.Boolean()),
});
const SourceObjectSchema = Type.Object({ name: Type.String(), label: Type.String(), idField: Type.String(), custom: Type.Optional(Type.Boolean()), fields: Type.Array(SourceFieldSchema) });

const AuthorizeAnswer = Type.Object({
  mode: Type.Union([Type.Literal('redirect'), Type.Literal('direct')], { description: 'redirect: open authorizationUrl in a browser; direct: the server authorized the connection itself' }),
  authorizationUrl: Type.Optional(Type.String({ description: 'the source page where a person grants access; it sends the browser back to redirectUri' })),
  redirectUri: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String({ description: 'the link works once, until then' })),
  status: Type.Optional(Type.String()),
  authorization: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]))),
});

const TemplateSchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  source: Type.Object({ object: Type.String() }),
  target: Type.Object({ object: Type.String() }),
  dependsOn: Type.Array(Type.String(), { description: 'template keys whose jobs must exist first' }),
  jobId: Type.Union([Type.String(), Type.Null()], { description: 'the job made from this template on this connection, once created' }),
});

/** An error from the source while describing its objects: 404 for an object it lacks, 502 otherwise. */
function describeFailure(error: SynclineError, unknownObjectIs404: boolean): ApiError {
  if (unknownObjectIs404 && error.code === 'INVALID_CONFIGURATION') return new ApiError(404, 'not_found', error.message);
  return new ApiError(502, error.code.toLowerCase(), error.message);
}

const ConnectorInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  configFields: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), required: Type.Boolean(), secret: Type.Boolean(), description: Type.String(), default: Type.Optional(Type.Union([Type.String(), Type.Boolean()])), values: Type.Optional(Type.Array(Type.String())), fixed: Type.Optional(Type.Boolean()) })),
  allowsCustomJobs: Type.Boolean(),
  maxConnections: Type.Union([Type.Integer(), Type.Null()]),
});

const TestAnswer = Type.Object({
  ok: Type.Boolean(),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'what the source told about the connection, where it tells (Salesforce: org id, user, API usage)' })),
});

export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, secrets, publicUrl, outbound } = app.services;
  const { db } = database;

  const load = async (id: string) => {
    const [row] = await db.select().from(connections).where(eq(connections.id, id));
    if (!row) throw notFound('Connection', id);
    return row;
  };

  app.get('/connectors', { schema: { summary: 'The available connectors', response: { 200: Type.Object({ items: Type.Array(ConnectorInfo), nextCursor: Type.Null() }), ...errorResponses } } }, async () => ({
    items: [...connectorRegistry.values()].map((c) => ({ id: c.id, name: c.name, category: c.category, configFields: c.configFields, allowsCustomJobs: c.allowsCustomJobs, maxConnections: c.maxConnections })),
    nextCursor: null,
  }));

  app.post(
    '/connections',
    {
      schema: {
        summary: 'Create a connection (and its out-of-the-box jobs)',
        body: Type.Object({ connector: Type.String({ minLength: 1, maxLength: 100 }), name: Type.String({ minLength: 1, maxLength: 200 }), config: Type.Record(Type.String(), Type.Unknown(), { default: {} }) }, { additionalProperties: false }),
        response: { 201: Connection, ...errorResponses },
      },
    },
    async (request, reply) => {
      const row = await createConnection(db, secrets, outbound, request.actor.name, newId('conn'), request.body, () => newId('job'), notificationsFor(request.actor.email));
      return reply.status(201).send(toConnectionDocument(row));
    },
  );

  app.get('/connections', { schema: { summary: 'List connections', querystring: PageQuery, response: { 200: Page(Connection), ...errorResponses } } }, async (request) => {
    const limit = request.query.limit ?? 50;
    const after = decodeCursor(request.query.cursor);
    const rows = await db.select().from(connections).where(after ? lt(connections.id, after) : undefined).orderBy(desc(connections.id)).limit(limit + 1);
    return pageOf(rows.map(toConnectionDocument), limit, (c) => c.id);
  });

  app.get('/connections/:id', { schema: { summary: 'A connection, secrets masked', params: IdParams, response: { 200: Connection, ...errorResponses } } }, async (request) =>
    toConnectionDocument(await load(request.params.id)),
  );

  app.patch(
    '/connections/:id',
    {
      schema: {
        summary: 'Change a connection; a secret is replaced only when sent',
        params: IdParams,
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), config: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
        response: { 200: Connection, ...errorResponses },
      },
    },
    async (request) => {
      const before = await load(request.params.id);
      const connector = connectorOrFail(before.connector);
      assertFixedKept(connector, before.config, request.body.config ?? {});
      const { settings, secrets: newSecrets } = splitConfig(connector, request.body.config ?? {}, true, before.config);
      await assertUrlSettingsAllowed(connector, outbound, settings, { before: before.config, newSecrets });
      const mergedSecrets = Object.keys(newSecrets).length ? secrets.seal({ ...secrets.open(before.secrets), ...newSecrets }) : before.secrets;
      const [after] = await db
        .update(connections)
        .set({ name: request.body.name ?? before.name, config: { ...before.config, ...settings }, secrets: mergedSecrets, updatedAt: new Date() })
        .where(eq(connections.id, before.id))
        .returning();
      const replaced = Object.keys(newSecrets);
      // Masked on both sides, a replaced secret is invisible to a diff, so it is named explicitly.
      const secretChanges = before.secrets ? replaced.map((name) => ({ attribute: 'config', subAttribute: name, action: 'Edit' as const, oldValue: MASK, newValue: MASK })) : [];
      await recordAudit(
        db,
        request.actor.name,
        { type: 'connection', id: before.id, name: after!.name, connector: before.connector, connectionId: before.id },
        auditedConnection(before),
        auditedConnection(after!),
        replaced.length ? `secret replaced: ${replaced.join(', ')}` : null,
        secretChanges,
      );
      if (Object.keys(settings).length > 0) {
        await forgetObjects(db, before.id);
        await resetAuthorization(db, secrets, outbound, before, after!, request.actor.name);
      }
      return toConnectionDocument((await load(before.id)));
    },
  );

  app.delete('/connections/:id', { schema: { summary: 'Delete a connection, its jobs and their schedules', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
    const row = await load(request.params.id);
    const owned = await db.select().from(jobs).where(eq(jobs.connectionId, row.id));
    await assertJobsRemovable(db, owned);
    for (const job of owned) await removeJob(app.services, request.actor.name, job);
    await db.delete(connections).where(eq(connections.id, row.id));
    await revokeGrantOf(secrets, outbound, row);
    await recordAudit(db, request.actor.name, { type: 'connection', id: row.id, name: row.name, connector: row.connector, connectionId: row.id }, auditedConnection(row), null);
    return reply.status(204).send(null);
  });

  /** What a test of a session answers; a source's refusal is an answer, not an error of the API. */
  const testSession = async (open: () => Promise<ConnectorSession>) => {
    try {
      const details = await (await open()).test();
      return details ? { ok: true, details } : { ok: true };
    } catch (error) {
      if (error instanceof SynclineError) return { ok: false, error: { code: error.code, message: error.message } };
      throw error;
    }
  };

  app.post(
    '/connections/test',
    {
      schema: {
        summary: 'Test settings before a connection is made (nothing is stored)',
        description: 'The settings of POST /v1/connections, checked the same way (400 naming a field), then tried against the source: answers as POST /v1/connections/:id/test does. Connections that need authorization (OAuth) can only be tested once authorized.',
        body: Type.Object({ connector: Type.String({ minLength: 1, maxLength: 100 }), config: Type.Record(Type.String(), Type.Unknown(), { default: {} }) }, { additionalProperties: false }),
        response: { 200: TestAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const connector = connectorOrFail(request.body.connector);
      const { settings, secrets: given } = splitConfig(connector, request.body.config, false);
      await assertUrlSettingsAllowed(connector, outbound, settings);
      return testSession(async () => connector.open({ config: settings, secrets: given }, { sql: database.sql, outbound }));
    },
  );

  app.post('/connections/:id/test', { schema: { summary: 'Test that the source accepts the connection; its status follows the answer', params: IdParams, response: { 200: TestAnswer, ...errorResponses } } }, async (request) => {
    const row = await load(request.params.id);
    const answer = await testSession(() => openSession(db, secrets, outbound, row.id));
    // The connection's status says what the last test (or run) found, for the connection log and lists.
    if (answer.ok) await setConnectionStatus(db, row.id, 'active', null, request.actor.name);
    else if (answer.error && row.status !== 'needs_authorization') await setConnectionStatus(db, row.id, 'error', answer.error.message, request.actor.name);
    return answer;
  });

  const assertAuthorized = (row: typeof connections.$inferSelect) => {
    if (row.status === 'needs_authorization') {
      throw conflict('needs_authorization', row.statusMessage ?? `Connection "${row.name}" is not authorized yet: POST /v1/connections/${row.id}/authorize and open the authorizationUrl it answers.`);
    }
  };

  app.get(
    '/connections/:id/objects',
    {
      schema: {
        summary: 'Source objects and their fields (kept for a while by connectors whose describe calls cost; refresh=true asks the source again)',
        params: IdParams,
        querystring: Type.Object({ refresh: Type.Optional(Type.Boolean({ default: false })) }),
        response: {
          200: Type.Object({ items: Type.Array(SourceObjectSchema), nextCursor: Type.Null(), fetchedAt: Type.Optional(Type.String()) }),
          ...errorResponses,
          502: Type.Ref('Error'),
        },
      },
    },
    async (request) => {
      const row = await load(request.params.id);
      const connector = connectorOrFail(row.connector);
      assertAuthorized(row);
      try {
        const described = await describedObjects(db, row.id, connector, () => openSession(db, secrets, outbound, row.id), request.query.refresh === true);
        return { items: described.objects, nextCursor: null, fetchedAt: described.fetchedAt.toISOString() };
      } catch (error) {
        if (error instanceof SynclineError) throw describeFailure(error, false);
        throw error;
      }
    },
  );

  app.get(
    '/connections/:id/objects/:object',
    {
      schema: {
        summary: 'One source object and its fields, described afresh (any object the source has, not only those listed)',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }), object: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: SourceObjectSchema, ...errorResponses, 502: Type.Ref('Error') },
      },
    },
    async (request) => {
      const row = await load(request.params.id);
      assertAuthorized(row);
      try {
        const session = await openSession(db, secrets, outbound, row.id);
        if (session.describeObject) return await session.describeObject(request.params.object);
        const found = (await session.describeObjects()).find((o) => o.name === request.params.object);
        if (!found) throw notFound('Source object', request.params.object);
        return found;
      } catch (error) {
        if (error instanceof SynclineError) throw describeFailure(error, true);
        throw error;
      }
    },
  );

  app.post(
    '/connections/:id/authorize',
    {
      schema: {
        summary: 'Authorize the connection: answers the URL where a person grants access (OAuth web-server flow with PKCE), or authorizes at once (server-to-server flows)',
        params: IdParams,
        response: { 200: AuthorizeAnswer, ...errorResponses, 503: Type.Ref('Error') },
      },
    },
    async (request) => {
      const row = await load(request.params.id);
      return beginAuthorization(db, secrets, outbound, request.actor.name, row, publicUrl);
    },
  );

  app.get(
    '/connections/:id/job-templates',
    { schema: { summary: "The ready-made jobs the connection's connector offers, and the jobs already made from them", params: IdParams, response: { 200: Type.Object({ items: Type.Array(TemplateSchema), nextCursor: Type.Null() }), ...errorResponses } } },
    async (request) => ({ items: await listTemplates(db, await load(request.params.id)), nextCursor: null }),
  );

  app.post(
    '/connections/:id/job-templates/:key',
    {
      schema: {
        summary: 'Create the job a template describes (once per connection); edit it afterwards like any job',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }), key: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 201: Type.Ref('Job'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const row = await load(request.params.id);
      const job = await createFromTemplate(db, request.actor.name, row, request.params.key, newId('job'), notificationsFor(request.actor.email));
      return reply.status(201).send(await jobDocument(app.services.temporal, db, job));
    },
  );
};
