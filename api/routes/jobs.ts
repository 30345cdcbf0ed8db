import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, desc, eq, lt, sql as dsql } from 'drizzle-orm';
import { connections, jobState, jobs, runs, type JobRow } from '../../db/schema.js';
import { findConnector } from '../../connectors/registry.js';
import { recordAudit, type AuditChange } from '../../services/audit.js';
import { newId } from '../../services/ids.js';
import { applyJobPatch, notificationsFor, assertLookupSourcesKept, assertRunnable, auditedJob, keepLockFlags, validateJob } from '../../services/jobs.js';
import { assertJobsRemovable, queueClientRun, removeJob } from '../../services/job-lifecycle.js';
import { REPLAYED_HEADER, idempotent, keyedRequest } from '../../services/idempotency.js';
import { runConditions, toRunDocument } from '../../services/runs.js';
import { jobDocument, jobDocuments } from '../../services/next-runs.js';
import { maskWebhookUrl, webhookChange, type WebhookChange } from '../../services/webhooks.js';
import { workflowIds } from '../../temporal/names.js';
import { renameJobWorkflow } from '../../temporal/jobs.js';
import { deleteJobSchedule, upsertJobSchedule, validateSchedule } from '../../temporal/schedules.js';
import { resetWatermarkUpdate, stateQuery, type JobStateView, type TriggerRequest, type WatermarkReset } from '../../workflows/types.js';
import type { Schedule } from '../../sync/types.js';
import { badRequest, conflict, notFound, unprocessable } from '../errors.js';
import { checkedWindow } from '../windows.js';
import { decodeCursor, decodeIntegerCursor, pageOf } from '../paging.js';
import { IdParams, Page, PageQuery, errorResponses } from '../schemas/common.js';
import { ImportFromDateBody, JobCreate, JobPatch, JobStateAnswer, ScheduleBody, TriggerAnswer, TriggerHeaders, triggerResponses } from '../schemas/jobs.js';
import { JobRunsQuery, RunDocument } from '../schemas/runs.js';

const JobRef = Type.Ref('Job');

export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const services = app.services;
  const { db } = services.database;

  const load = async (id: string): Promise<JobRow> => {
    const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
    if (!row) throw notFound('Job', id);
    return row;
  };
  const audit = (actor: string, before: JobRow | null, after: JobRow | null, info: string | null = null, alsoChanged: AuditChange[] = []) => {
    const job = (after ?? before)!;
    return recordAudit(db, actor, { type: 'job', id: job.id, name: job.name, connectionId: job.connectionId, jobId: job.id }, before && auditedJob(before), after && auditedJob(after), info, alsoChanged);
  };
  /** A webhook URL replaced by another on the same host looks unchanged once masked: named explicitly. */
  const webhookReplaced = (before: JobRow, change: WebhookChange | null): AuditChange[] =>
    change?.replaced && change.display === maskWebhookUrl(before.notifications.webhookUrl)
      ? [{ attribute: 'notifications', subAttribute: 'webhookUrl', action: 'Edit', oldValue: change.display, newValue: change.display }]
      : [];
  const documents = (rows: JobRow[]) => jobDocuments(services.temporal, db, rows);
  const document = (row: JobRow) => jobDocument(services.temporal, db, row);
  /** Queues a run for the client; a request sent again with its Idempotency-Key gets the first answer. */
  const trigger = async (http: FastifyRequest, reply: FastifyReply, job: JobRow, request: TriggerRequest) => {
    const { answer, replayed } = await idempotent(db, keyedRequest(http, job.id, request), (updateId) => queueClientRun(services, http.actor.name, job, request, updateId));
    if (replayed) reply.header(REPLAYED_HEADER, 'true');
    return reply.status(202).send(answer);
  };

  app.get(
    '/jobs',
    { schema: { summary: 'List jobs', querystring: Type.Intersect([PageQuery, Type.Object({ connectionId: Type.Optional(Type.String({ maxLength: 200 })) })]), response: { 200: Page(JobRef), ...errorResponses } } },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = decodeCursor(request.query.cursor);
      const rows = await db
        .select()
        .from(jobs)
        .where(and(request.query.connectionId ? eq(jobs.connectionId, request.query.connectionId) : undefined, after ? lt(jobs.id, after) : undefined))
        .orderBy(desc(jobs.id))
        .limit(limit + 1);
      const page = pageOf(rows, limit, (j) => j.id);
      return { items: await documents(page.items), nextCursor: page.nextCursor };
    },
  );

  app.post('/jobs', { schema: { summary: 'Create a custom job', body: JobCreate, response: { 201: JobRef, ...errorResponses } } }, async (request, reply) => {
    const body = request.body;
    const [connection] = await db.select().from(connections).where(eq(connections.id, body.connectionId));
    if (!connection) throw badRequest(`connectionId "${body.connectionId}" does not exist`, [{ path: '/connectionId', message: 'unknown connection' }]);
    const connector = findConnector(connection.connector);
    if (!connector?.allowsCustomJobs) {
      throw unprocessable('custom_jobs_not_allowed', `${connector?.name ?? connection.connector} connections only have their out-of-the-box jobs; edit those instead of creating a custom job.`);
    }
    const strip = <T extends { locked?: boolean }>(items: T[]) => keepLockFlags(items, [], () => false);
    const notifications = body.notifications ?? notificationsFor(request.actor.email);
    const webhook = await webhookChange(services.secrets, services.outbound, null, notifications.webhookUrl);
    const row: JobRow = {
      id: newId('job'),
      connectionId: connection.id,
      name: body.name,
      sourceObject: body.source.object,
      targetObject: body.target.object,
      modificationType: body.modificationType ?? 'upsert',
      mappings: strip(body.mappings),
      derivedMappings: strip(body.derivedMappings ?? []),
      filters: { conditions: strip(body.filters?.conditions ?? []), logic: body.filters?.logic ?? null },
      dependsOn: body.dependsOn ?? [],
      notifications: { ...notifications, webhookUrl: webhook.display },
      webhook: webhook.sealed,
      lookbackSeconds: body.lookbackSeconds ?? 300,
      outageBudgetSeconds: body.outageBudgetSeconds ?? 21600,
      options: body.options ?? {},
      schedule: null,
      outOfTheBox: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    await validateJob(db, row);
    const [created] = await db.insert(jobs).values(row).returning();
    await audit(request.actor.name, null, created!);
    return reply.status(201).send(await document(created!));
  });

  app.get('/jobs/:id', { schema: { summary: 'A job', params: IdParams, response: { 200: JobRef, ...errorResponses } } }, async (request) => document(await load(request.params.id)));

  app.patch('/jobs/:id', { schema: { summary: 'Edit a job', params: IdParams, body: JobPatch, response: { 200: JobRef, ...errorResponses } } }, async (request) => {
    const before = await load(request.params.id);
    const patch = request.body;
    const webhook = patch.notifications ? await webhookChange(services.secrets, services.outbound, before, patch.notifications.webhookUrl) : null;
    const next: JobRow = {
      ...applyJobPatch(before, patch),
      ...(patch.notifications && webhook ? { notifications: { ...patch.notifications, webhookUrl: webhook.display }, webhook: webhook.sealed } : {}),
    };
    if (patch.mappings) await assertLookupSourcesKept(db, before, next);
    const after = await db.transaction(async (tx) => {
      // Dependency edits one at a time: two checked side by side could each pass and form a cycle
      // (A on B, B on A) in which both jobs wait for each other for good.
      if (patch.dependsOn) await tx.execute(dsql`select pg_advisory_xact_lock(hashtext('syncline:job-dependencies'))`);
      await validateJob(tx, next);
      if (before.schedule && next.mappings !== before.mappings) assertRunnable(next);
      const [updated] = await tx.update(jobs).set(next).where(eq(jobs.id, before.id)).returning();
      return updated!;
    });
    if (after.name !== before.name) {
      // What Temporal shows follows the rename: the job's workflow and its schedule's firings.
      await renameJobWorkflow(services.temporal, after.id, after.name);
      if (after.schedule) await upsertJobSchedule(services.temporal, after, after.schedule);
    }
    await audit(request.actor.name, before, after, webhook?.replaced ? 'webhook URL replaced; its signing key is new' : null, webhookReplaced(before, webhook));
    return document(after);
  });

  app.delete('/jobs/:id', { schema: { summary: 'Delete a job and its schedule', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
    const job = await load(request.params.id);
    await assertJobsRemovable(db, [job]);
    if (job.outOfTheBox) {
      throw conflict(
        'out_of_the_box',
        `Job "${job.name}" comes with its connection, which always has it; nothing was deleted. To stop it, remove its schedule (DELETE /v1/jobs/${job.id}/schedule) or take it out of its chains; its optional mappings can be removed. Deleting the connection deletes its jobs.`,
      );
    }
    await removeJob(services, request.actor.name, job);
    return reply.status(204).send(null);
  });

  app.put('/jobs/:id/schedule', { schema: { summary: "Set the job's schedule (a Temporal Schedule)", params: IdParams, body: ScheduleBody, response: { 200: JobRef, ...errorResponses } } }, async (request) => {
    const before = await load(request.params.id);
    const problems = validateSchedule(request.body);
    if (problems.length > 0) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
    assertRunnable(before);
    const schedule = request.body as Schedule;
    await upsertJobSchedule(services.temporal, before, schedule);
    const [after] = await db.update(jobs).set({ schedule, updatedAt: new Date() }).where(eq(jobs.id, before.id)).returning();
    await audit(request.actor.name, before, after!);
    return document(after!);
  });

  app.delete('/jobs/:id/schedule', { schema: { summary: "Remove the job's schedule", params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (request, reply) => {
    const before = await load(request.params.id);
    await deleteJobSchedule(services.temporal, before.id);
    const [after] = await db.update(jobs).set({ schedule: null, updatedAt: new Date() }).where(eq(jobs.id, before.id)).returning();
    await audit(request.actor.name, before, after!);
    return reply.status(204).send(null);
  });

  app.post('/jobs/:id/import-now', { schema: { summary: 'Import Now: an incremental run from the watermark', params: IdParams, headers: TriggerHeaders, response: { 202: TriggerAnswer, ...errorResponses, ...triggerResponses } } }, async (request, reply) => {
    return trigger(request, reply, await load(request.params.id), { trigger: 'import_now' });
  });

  app.post(
    '/jobs/:id/import-from-date',
    { schema: { summary: 'Import From Date: a run over [from, to) that leaves the watermark alone', params: IdParams, headers: TriggerHeaders, body: ImportFromDateBody, response: { 202: TriggerAnswer, ...errorResponses, ...triggerResponses } } },
    async (request, reply) => {
      const job = await load(request.params.id);
      return trigger(request, reply, job, { trigger: 'import_from_date', window: checkedWindow(request.body) });
    },
  );

  app.get('/jobs/:id/state', { schema: { summary: "The job's watermark, running and queued runs", params: IdParams, response: { 200: JobStateAnswer, ...errorResponses } } }, async (request) => {
    const job = await load(request.params.id);
    try {
      return await services.temporal.client.workflow.getHandle(workflowIds.job(job.id)).query(stateQuery);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const [mirror] = await db.select().from(jobState).where(eq(jobState.jobId, job.id));
      return { watermark: mirror?.watermark?.toISOString() ?? null, running: null, queued: [] } satisfies JobStateView;
    }
  });

  app.post('/jobs/:id/reset-watermark', { schema: { summary: 'Reset the watermark: the next Import Now reads from 1970', params: IdParams, response: { 200: JobStateAnswer, ...errorResponses } } }, async (request) => {
    const job = await load(request.params.id);
    let state: WatermarkReset;
    try {
      // The workflow owns the watermark, so it says which one it cleared; the mirror may lag behind.
      state = await services.temporal.client.workflow.getHandle(workflowIds.job(job.id)).executeUpdate(resetWatermarkUpdate);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const [mirror] = await db.select().from(jobState).where(eq(jobState.jobId, job.id));
      await db.update(jobState).set({ watermark: null, updatedAt: new Date() }).where(eq(jobState.jobId, job.id));
      state = { watermark: null, running: null, queued: [], cleared: mirror?.watermark?.toISOString() ?? null };
    }
    await recordAudit(db, request.actor.name, { type: 'job', id: job.id, name: job.name, connectionId: job.connectionId, jobId: job.id }, { watermark: state.cleared }, { watermark: null }, 'watermark reset');
    return state;
  });

  app.get(
    '/jobs/:id/runs',
    { schema: { summary: "The job's runs, newest first, filtered by status, trigger and when they were asked for", params: IdParams, querystring: JobRunsQuery, response: { 200: Page(Type.Ref(RunDocument)), ...errorResponses } } },
    async (request) => {
    const job = await load(request.params.id);
    const limit = request.query.limit ?? 50;
    const after = decodeIntegerCursor(request.query.cursor);
    const rows = await db
      .select()
      .from(runs)
      .where(and(...runConditions({ ...request.query, jobId: job.id }), after !== null ? lt(runs.n, after) : undefined))
      .orderBy(desc(runs.n))
      .limit(limit + 1);
    return pageOf(rows.map((row) => toRunDocument(row)), limit, (r) => r.id.slice(r.id.lastIndexOf('-') + 1));
  });
};
