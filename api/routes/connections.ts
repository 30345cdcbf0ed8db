import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { desc, eq, lt } from 'drizzle-orm';
import { connections, jobs } from '../../db/schema.js';
import { connectorRegistry } from '../../connectors/registry.js';
import { SynclineError } from '../../sync/errors.js';
import { assertFixedKept, assertUrlSettingsAllowed, auditedConnection, connectorOrFail, createConnection, splitConfig, toConnectionDocument } from '../../services/connections.js';
import { recordAudit } from '../../services/audit.js';
import { newId } from '../../services/ids.js';
import { openSession } from '../../services/sessions.js';
import { MASK } from '../../services/secrets.js';
import { assertJobsRemovable, removeJob } from '../../services/job-lifecycle.js';
import { notFound } from '../errors.js';
import { IdParams, Page, PageQuery, errorResponses } from '../schemas/common.js';
import { pageOf, decodeCursor } from '../paging.js';

const Connection = Type.Object({
  id: Type.String(),
  connector: Type.String(),
  name: Type.String(),
  config: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const ConnectorInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  configFields: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), required: Type.Boolean(), secret: Type.Boolean(), description: Type.String(), default: Type.Optional(Type.Union([Type.String(), Type.Boolean()])), values: Type.Optional(Type.Array(Type.String())), fixed: Type.Optional(Type.Boolean()) })),
  allowsCustomJobs: Type.Boolean(),
  maxConnections: Type.Union([Type.Integer(), Type.Null()]),
});

const TestAnswer = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })) });

export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, secrets, outbound } = app.services;
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
      const row = await createConnection(db, secrets, outbound, request.actor.name, newId('conn'), request.body, () => newId('job'));
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
      const { settings, secrets: newSecrets } = splitConfig(connector, request.body.config ?? {}, true);
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
      return toConnectionDocument(after!);
    },
  );

  app.delete('/connections/:id', { schema: { summary: 'Delete a connection, its jobs and their schedules', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
    const row = await load(request.params.id);
    const owned = await db.select().from(jobs).where(eq(jobs.connectionId, row.id));
    await assertJobsRemovable(db, owned);
    for (const job of owned) await removeJob(app.services, request.actor.name, job);
    await db.delete(connections).where(eq(connections.id, row.id));
    await recordAudit(db, request.actor.name, { type: 'connection', id: row.id, name: row.name, connector: row.connector, connectionId: row.id }, auditedConnection(row), null);
    return reply.status(204).send(null);
  });

  app.post('/connections/:id/test', { schema: { summary: 'Test that the source accepts the connection', params: IdParams, response: { 200: TestAnswer, ...errorResponses } } }, async (request) => {
    const row = await load(request.params.id);
    try {
      const session = await openSession(db, secrets, outbound, row.id);
      await session.test();
      return { ok: true };
    } catch (error) {
      if (error instanceof SynclineError) return { ok: false, error: { code: error.code, message: error.message } };
      throw error;
    }
  });

  app.get(
    '/connections/:id/objects',
    {
      schema: {
        summary: 'Source objects and their fields',
        params: IdParams,
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), label: Type.String(), idField: Type.String(), fields: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), custom: Type.Boolean() })) })), nextCursor: Type.Null() }),
          ...errorResponses,
          502: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      const row = await load(request.params.id);
      try {
        const session = await openSession(db, secrets, outbound, row.id);
        return { items: await session.describeObjects(), nextCursor: null };
      } catch (error) {
        if (error instanceof SynclineError) return reply.status(502).send({ error: { code: error.code.toLowerCase(), message: error.message, details: [] } });
        throw error;
      }
    },
  );
};
