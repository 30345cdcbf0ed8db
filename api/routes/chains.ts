import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { and, asc, desc, eq, inArray, lt } from 'drizzle-orm';
import { chainRuns, jobChains, runs, type ChainRow } from '../../db/schema.js';
import { recordAudit } from '../../services/audit.js';
import { assertChainRunnable, auditedChain, toChainDocument, validateChainMembers } from '../../services/chains.js';
import { newId } from '../../services/ids.js';
import { toRunDocument } from '../../services/runs.js';
import { startChainRun } from '../../temporal/chains.js';
import { deleteChainSchedule, upsertChainSchedule, validateSchedule } from '../../temporal/schedules.js';
import type { Schedule } from '../../sync/types.js';
import { badRequest, notFound } from '../errors.js';
import { decodeCursor, decodeIntegerCursor, pageOf } from '../paging.js';
import { ChainCreate, ChainDocument, ChainPatch, ChainRunAnswer, ChainRunDocument } from '../schemas/chains.js';
import { IdParams, Page, PageQuery, errorResponses } from '../schemas/common.js';
import { TriggerHeaders } from '../schemas/jobs.js';
import { REPLAYED_HEADER, idempotent, keyedRequest } from '../../services/idempotency.js';

/** Chain runs started through the API, as opposed to those the chain's schedule starts. */
const MANUAL = 'manual';

export const chainRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const services = app.services;
  const { db } = services.database;

  const load = async (id: string): Promise<ChainRow> => {
    const [row] = await db.select().from(jobChains).where(eq(jobChains.id, id));
    if (!row) throw notFound('Job chain', id);
    return row;
  };
  const audit = (actor: string, before: ChainRow | null, after: ChainRow | null) => {
    const chain = (after ?? before)!;
    return recordAudit(db, actor, { type: 'job_chain', id: chain.id, name: chain.name }, before && auditedChain(before), after && auditedChain(after));
  };
  const checkSchedule = (schedule: unknown): Schedule | null => {
    if (schedule === null || schedule === undefined) return null;
    const problems = validateSchedule(schedule).map((p) => ({ path: `/schedule${p.path}`, message: p.message }));
    if (problems.length > 0) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
    return schedule as Schedule;
  };
  /** The Temporal Schedule follows the chain's: created or replaced when it has one, gone when not. */
  const syncSchedule = async (chain: ChainRow) => {
    if (chain.schedule) await upsertChainSchedule(services.temporal, chain, chain.schedule);
    else await deleteChainSchedule(services.temporal, chain.id);
  };

  app.get('/job-chains', { schema: { summary: 'List job chains', querystring: PageQuery, response: { 200: Page(ChainDocument), ...errorResponses } } }, async (request) => {
    const limit = request.query.limit ?? 50;
    const after = decodeCursor(request.query.cursor);
    const rows = await db
      .select()
      .from(jobChains)
      .where(after ? lt(jobChains.id, after) : undefined)
      .orderBy(desc(jobChains.id))
      .limit(limit + 1);
    return pageOf(rows.map(toChainDocument), limit, (c) => c.id);
  });

  app.post('/job-chains', { schema: { summary: 'Create a job chain: jobs that run one after the other', body: ChainCreate, response: { 201: ChainDocument, ...errorResponses } } }, async (request, reply) => {
    const schedule = checkSchedule(request.body.schedule);
    await validateChainMembers(db, request.body.jobIds);
    const [created] = await db.insert(jobChains).values({ id: newId('chain'), name: request.body.name, jobIds: request.body.jobIds, schedule }).returning();
    await syncSchedule(created!);
    await audit(request.actor.name, null, created!);
    return reply.status(201).send(toChainDocument(created!));
  });

  app.get('/job-chains/:id', { schema: { summary: 'A job chain', params: IdParams, response: { 200: ChainDocument, ...errorResponses } } }, async (request) =>
    toChainDocument(await load(request.params.id)),
  );

  app.patch('/job-chains/:id', { schema: { summary: "Edit a job chain's name, members or schedule", params: IdParams, body: ChainPatch, response: { 200: ChainDocument, ...errorResponses } } }, async (request) => {
    const before = await load(request.params.id);
    const patch = request.body;
    const schedule = patch.schedule === undefined ? before.schedule : checkSchedule(patch.schedule);
    if (patch.jobIds) await validateChainMembers(db, patch.jobIds);
    const [after] = await db
      .update(jobChains)
      .set({ name: patch.name ?? before.name, jobIds: patch.jobIds ?? before.jobIds, schedule, updatedAt: new Date() })
      .where(eq(jobChains.id, before.id))
      .returning();
    if (after!.schedule || before.schedule) await syncSchedule(after!);
    await audit(request.actor.name, before, after!);
    return toChainDocument(after!);
  });

  app.delete('/job-chains/:id', { schema: { summary: 'Delete a job chain and its schedule; its jobs stay', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
    const chain = await load(request.params.id);
    await deleteChainSchedule(services.temporal, chain.id);
    await db.delete(jobChains).where(eq(jobChains.id, chain.id));
    await audit(request.actor.name, chain, null);
    return reply.status(204).send(null);
  });

  app.post('/job-chains/:id/run', { schema: { summary: 'Run the chain now: its jobs one after the other', params: IdParams, headers: TriggerHeaders, response: { 202: ChainRunAnswer, ...errorResponses } } }, async (request, reply) => {
    const chain = await load(request.params.id);
    await assertChainRunnable(db, chain);
    const { answer, replayed } = await idempotent(db, keyedRequest(request, chain.id), () => startChainRun(services.temporal, db, chain.id, MANUAL));
    if (replayed) reply.header(REPLAYED_HEADER, 'true');
    return reply.status(202).send(answer);
  });

  app.get(
    '/job-chains/:id/runs',
    { schema: { summary: "The chain's runs, newest first, each with its member runs", params: IdParams, querystring: PageQuery, response: { 200: Page(ChainRunDocument), ...errorResponses } } },
    async (request) => {
      const chain = await load(request.params.id);
      const limit = request.query.limit ?? 50;
      const after = decodeIntegerCursor(request.query.cursor);
      const rows = await db
        .select()
        .from(chainRuns)
        .where(and(eq(chainRuns.chainId, chain.id), after !== null ? lt(chainRuns.n, after) : undefined))
        .orderBy(desc(chainRuns.n))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const members = page.length === 0 ? [] : await db.select().from(runs).where(inArray(runs.chainRunId, page.map((r) => r.id))).orderBy(asc(runs.queuedAt), asc(runs.id));
      const documents = rows.map((r) => ({
        id: r.id,
        chainId: r.chainId,
        n: r.n,
        trigger: r.trigger,
        status: r.status,
        error: r.error ?? null,
        workflowId: r.workflowId,
        startedAt: r.startedAt.toISOString(),
        finishedAt: r.finishedAt?.toISOString() ?? null,
        runs: members.filter((m) => m.chainRunId === r.id).map((m) => toRunDocument(m)),
      }));
      const { items, nextCursor } = pageOf(documents, limit, (d) => String(d.n));
      return { items: items.map(({ n: _n, ...rest }) => rest), nextCursor };
    },
  );
};
