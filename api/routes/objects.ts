import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { customFields } from '../../db/schema.js';
import { loadObjectMetadata } from '../../services/metadata.js';
import { recordAudit } from '../../services/audit.js';
import { choosePersonKey, personKeyView } from '../../services/person-key.js';
import { CUSTOM_FIELD_PATTERN, columnTypeOf, objectDef } from '../../sync/objects.js';
import { convertValue } from '../../sync/convert.js';
import { FIELD_TYPES, type FieldType } from '../../sync/types.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { decodeCursor, pageOf } from '../paging.js';
import { errorResponses } from '../schemas/common.js';

const Field = Type.Object({ name: Type.String(), type: Type.String(), label: Type.String(), standard: Type.Boolean() });
const ObjectInfo = Type.Object({ name: Type.String(), label: Type.String(), fields: Type.Array(Field) });
const ObjectParams = Type.Object({ object: Type.String({ maxLength: 100 }) });

export const objectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, sql } = app.services.database;

  const objectOrFail = async (name: string) => {
    const def = objectDef(await loadObjectMetadata(db), name);
    if (!def) throw notFound('Object', name);
    return def;
  };

  app.get('/objects', { schema: { summary: 'The data platform objects and their fields', response: { 200: Type.Object({ items: Type.Array(ObjectInfo), nextCursor: Type.Null() }), ...errorResponses } } }, async () => {
    const meta = await loadObjectMetadata(db);
    return { items: Object.values(meta).map((o) => ({ name: o.name, label: o.label, fields: o.fields.map((f) => ({ name: f.name, type: f.type, label: f.label, standard: f.standard })) })), nextCursor: null };
  });

  const PersonKey = Type.Object({
    fields: Type.Array(Type.String(), { description: 'the person fields that identify a person, all of which must match (email is compared without case)' }),
    locked: Type.Boolean({ description: 'true once persons exist: the key resolved them and can no longer change' }),
  });

  app.get('/objects/person/resolution-key', { schema: { summary: 'The Person Resolution Key: the person fields that make two records one person', response: { 200: PersonKey, ...errorResponses } } }, async () => personKeyView(db));

  app.put(
    '/objects/person/resolution-key',
    {
      schema: {
        summary: 'Choose the Person Resolution Key, before the first person is written (409 after)',
        description: 'One to four person fields (standard or custom), email by default. Company Person jobs then find, insert and count persons by them, and a unique index on them keeps one person per key. Each company person job must map a source field to each of them.',
        body: Type.Object({ fields: Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, maxItems: 4 }) }, { additionalProperties: false }),
        response: { 200: PersonKey, ...errorResponses },
      },
    },
    async (request) => choosePersonKey(db, request.actor.name, request.body.fields),
  );

  app.post(
    '/objects/:object/fields',
    {
      schema: {
        summary: 'Add a custom field (its name ends in __gc)',
        params: ObjectParams,
        body: Type.Object({ name: Type.String({ maxLength: 60 }), type: Type.Union(FIELD_TYPES.map((t) => Type.Literal(t))), label: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
        response: { 201: Field, ...errorResponses },
      },
    },
    async (request, reply) => {
      const def = await objectOrFail(request.params.object);
      const { name, type } = request.body;
      if (!CUSTOM_FIELD_PATTERN.test(name)) {
        throw badRequest(`custom field names are lowercase snake_case ending in __gc, e.g. plan__gc; got "${name}"`, [{ path: '/name', message: 'must match ^[a-z][a-z0-9_]*__gc$' }]);
      }
      if (def.fields.some((f) => f.name === name)) throw conflict('field_exists', `${def.name} already has a field "${name}".`);
      const label = request.body.label ?? name.replace(/__gc$/, '').replaceAll('_', ' ');
      await db.transaction(async (tx) => {
        await tx.insert(customFields).values({ object: def.name, name, type, label });
        // The name passed the pattern above and the type comes from a fixed list.
        await tx.execute(`alter table "${def.name}" add column "${name}" ${columnTypeOf(type as FieldType)}`);
      });
      await recordAudit(db, request.actor.name, { type: 'object_field', id: `${def.name}.${name}`, name }, null, { object: def.name, name, type, label });
      return reply.status(201).send({ name, type, label, standard: false });
    },
  );

  app.get(
    '/objects/:object/records',
    {
      schema: {
        summary: 'Records of an object, for inspection',
        params: ObjectParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
          where: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 10 })], { description: 'field:value; repeat to AND' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (request) => {
      const def = await objectOrFail(request.params.object);
      const limit = request.query.limit ?? 100;
      const after = decodeCursor(request.query.cursor);
      const wheres = request.query.where === undefined ? [] : Array.isArray(request.query.where) ? request.query.where : [request.query.where];
      const conditions = wheres.map((w, i) => {
        const at = w.indexOf(':');
        const name = at > 0 ? w.slice(0, at) : '';
        const field = def.fields.find((f) => f.name === name);
        if (!field) throw badRequest(`where must be field:value with a field of ${def.name}; "${name}" is not one`, [{ path: `querystring/where/${i}`, message: `unknown field "${name}"` }]);
        const raw = w.slice(at + 1);
        if (raw === '') return sql`${sql(field.name)} is null`;
        const converted = convertValue(raw, field.type);
        if (!converted.ok) throw badRequest(`where ${name}: ${converted.reason}`, [{ path: `querystring/where/${i}`, message: converted.reason }]);
        const value = converted.value instanceof Date ? converted.value.toISOString() : String(converted.value);
        return field.type === 'email' || field.type === 'string' ? sql`lower(${sql(field.name)}::text) = lower(${value})` : sql`${sql(field.name)}::text = ${value}::${sql.unsafe(columnTypeOf(field.type))}::text`;
      });
      if (after) conditions.push(sql`gsid > ${after}`);
      const where = conditions.reduce((acc, c, i) => (i === 0 ? sql`where ${c}` : sql`${acc} and ${c}`), sql``);
      const rows = await sql<Record<string, unknown>[]>`select * from ${sql(def.name)} ${where} order by gsid limit ${limit + 1}`;
      const dated = def.fields.filter((f) => f.type === 'datetime' || f.type === 'date');
      for (const row of rows) {
        for (const f of dated) if (row[f.name] !== null && row[f.name] !== undefined) row[f.name] = isoOf(row[f.name], f.type);
      }
      return pageOf(rows, limit, (r) => String(r.gsid));
    },
  );
};

/** Timestamps leave the API as ISO 8601 UTC; dates as YYYY-MM-DD. */
function isoOf(value: unknown, type: string): string {
  const iso = new Date(value instanceof Date ? value : String(value)).toISOString();
  return type === 'date' ? iso.slice(0, 10) : iso;
}
