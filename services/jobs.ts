// Data sync jobs: the document clients see, the checks a job must pass, and the rules for editing.
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { connections, jobs, type JobRow, type NewJobRow } from '../db/schema.js';
import { findConnector } from '../connectors/registry.js';
import type { JobTemplate } from '../connectors/types.js';
import { checkJobConfig, checkRunnable } from '../sync/plan.js';
import type { DerivedMapping, FilterSpec, Mapping, Notifications } from '../sync/types.js';
import { badRequest, conflict, unprocessable, type ErrorDetail } from '../api/errors.js';
import { loadObjectMetadata } from './metadata.js';
import { unknownOptions } from '../connectors/job-options.js';
import { maskWebhookUrl } from './webhooks.js';

export const DEFAULT_NOTIFICATIONS = { onSuccess: [], onFailure: [], webhookUrl: null };

/** A new job tells whoever made it (their token's email, when API_TOKENS gives one) how its runs end. */
export function notificationsFor(email: string | null | undefined): Notifications {
  return email ? { onSuccess: [email], onFailure: [email], webhookUrl: null } : DEFAULT_NOTIFICATIONS;
}

export function jobRowsFromTemplates(connectionId: string, templates: JobTemplate[], newJobId: () => string, notifications: Notifications = DEFAULT_NOTIFICATIONS): NewJobRow[] {
  const ids = new Map(templates.map((t) => [t.key, newJobId()]));
  return templates.map((t) => ({
    id: ids.get(t.key)!,
    connectionId,
    name: t.name,
    sourceObject: t.sourceObject,
    targetObject: t.targetObject,
    modificationType: t.modificationType,
    mappings: t.mappings,
    derivedMappings: t.derivedMappings,
    filters: t.filters,
    dependsOn: t.dependsOn.map((key) => ids.get(key)!),
    notifications,
    outOfTheBox: true,
  }));
}

export function toJobDocument(row: JobRow) {
  return {
    id: row.id,
    name: row.name,
    connectionId: row.connectionId,
    source: { object: row.sourceObject },
    target: { object: row.targetObject },
    modificationType: row.modificationType,
    mappings: row.mappings,
    derivedMappings: row.derivedMappings,
    filters: { conditions: row.filters.conditions, logic: row.filters.logic ?? null },
    dependsOn: row.dependsOn,
    notifications: { ...row.notifications, webhookUrl: maskWebhookUrl(row.notifications.webhookUrl) },
    lookbackSeconds: row.lookbackSeconds,
    outageBudgetSeconds: row.outageBudgetSeconds,
    options: row.options,
    schedule: row.schedule ?? null,
    outOfTheBox: row.outOfTheBox,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What the audit log records of a job: every attribute an admin can change. */
export function auditedJob(row: JobRow): Record<string, unknown> {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = toJobDocument(row);
  return rest;
}

/** Checks a job's configuration against the objects and its dependencies; 400 naming each field. */
export async function validateJob(db: Pick<Db, 'select'>, job: Pick<JobRow, 'id' | 'name' | 'connectionId' | 'targetObject' | 'modificationType' | 'mappings' | 'derivedMappings' | 'filters' | 'dependsOn' | 'options'>): Promise<void> {
  const meta = await loadObjectMetadata(db);
  const problems: ErrorDetail[] = checkJobConfig(job, meta);
  const [connection] = await db.select({ connector: connections.connector }).from(connections).where(eq(connections.id, job.connectionId));
  const connector = findConnector(connection?.connector ?? '');
  if (connector) problems.push(...(connector.validateJobOptions?.(job.options) ?? unknownOptions(connector.name, job.options, [])));
  const keys = job.mappings.filter((m) => m.upsertKey).map((m) => m.target);
  if (new Set(keys).size !== keys.length) problems.push({ path: '/mappings', message: 'an upsert key field is marked twice' });
  if (job.dependsOn.includes(job.id)) problems.push({ path: '/dependsOn', message: 'a job cannot depend on itself' });
  if (new Set(job.dependsOn).size !== job.dependsOn.length) problems.push({ path: '/dependsOn', message: 'a dependency is listed twice' });
  if (job.dependsOn.length > 0) {
    const found = await db.select({ id: jobs.id, dependsOn: jobs.dependsOn }).from(jobs).where(inArray(jobs.id, job.dependsOn));
    for (const [i, id] of job.dependsOn.entries()) {
      const dependency = found.find((f) => f.id === id);
      if (!dependency) problems.push({ path: `/dependsOn/${i}`, message: `job "${id}" does not exist` });
      else if (await dependsTransitively(db, id, job.id)) problems.push({ path: `/dependsOn/${i}`, message: `job "${id}" already depends on this job; dependencies cannot form a cycle` });
    }
  }
  if (problems.length > 0) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

async function dependsTransitively(db: Pick<Db, 'select'>, from: string, target: string, seen = new Set<string>()): Promise<boolean> {
  if (from === target) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  const [row] = await db.select({ dependsOn: jobs.dependsOn }).from(jobs).where(eq(jobs.id, from));
  for (const next of row?.dependsOn ?? []) if (await dependsTransitively(db, next, target, seen)) return true;
  return false;
}

/** A job that cannot run cannot be triggered or scheduled: 422 naming the job and the fix. */
export function assertRunnable(job: JobRow): void {
  const problems = checkRunnable(job);
  if (problems.length > 0) throw unprocessable('job_not_runnable', problems[0]!.message, problems);
}

/** A job with an edit applied, as PATCH /v1/jobs/:id makes it (a preview's draft too); 409 if it removes what is locked. */
export function applyJobPatch<P extends { mappings?: Mapping[]; derivedMappings?: DerivedMapping[]; filters?: FilterSpec }>(before: JobRow, patch: P): JobRow {
  assertLockedKept(before, patch);
  return {
    ...before,
    ...patch,
    mappings: patch.mappings ? keepLockFlags(patch.mappings, before.mappings, (a, b) => a.target === b.target && a.source === b.source) : before.mappings,
    derivedMappings: patch.derivedMappings ? keepLockFlags(patch.derivedMappings, before.derivedMappings, (a, b) => a.target === b.target) : before.derivedMappings,
    filters: patch.filters ? { conditions: keepLockFlags(patch.filters.conditions, before.filters.conditions, (a, b) => a.id === b.id), logic: patch.filters.logic ?? null } : before.filters,
    updatedAt: new Date(),
  };
}

/** Connector-locked mappings, lookups and filters survive every edit. */
export function assertLockedKept(before: JobRow, patch: { mappings?: Mapping[]; derivedMappings?: DerivedMapping[]; filters?: FilterSpec }): void {
  const problems: ErrorDetail[] = [];
  if (patch.mappings) {
    for (const locked of before.mappings.filter((m) => m.locked)) {
      const kept = patch.mappings.find((m) => m.target === locked.target && m.source === locked.source);
      if (!kept) problems.push({ path: '/mappings', message: `the mapping ${locked.source} → ${locked.target} is locked by the connector and cannot be removed or changed` });
      else if (locked.upsertKey && !kept.upsertKey) problems.push({ path: '/mappings', message: `${locked.target} is the connector's upsert key and must stay one` });
    }
  }
  if (patch.derivedMappings) {
    for (const locked of before.derivedMappings.filter((d) => d.locked)) {
      const kept = patch.derivedMappings.find((d) => d.target === locked.target && sameMatch(d.match, locked.match) && d.object === locked.object);
      if (!kept) problems.push({ path: '/derivedMappings', message: `the lookup filling ${locked.target} is locked by the connector and cannot be removed or changed` });
    }
  }
  if (patch.filters) {
    for (const locked of before.filters.conditions.filter((c) => c.locked)) {
      const kept = patch.filters.conditions.find((c) => c.id === locked.id && c.field === locked.field && c.op === locked.op && JSON.stringify(c.value) === JSON.stringify(locked.value));
      if (!kept) problems.push({ path: '/filters', message: `the filter ${locked.id} (${locked.field} ${locked.op}) is locked by the connector and cannot be removed or changed` });
    }
  }
  if (problems.length > 0) throw conflict('locked', problems.map((p) => p.message).join('; '), problems);
}

/**
 * A mapping that fills the field another job's locked lookup matches on (Company Sync's
 * px_account_id, which Company Person Sync finds companies by) is locked too: without it every
 * record of that job would fail its lookup. 409 naming the job that depends on it.
 */
export async function assertLookupSourcesKept(db: Pick<Db, 'select'>, before: JobRow, next: JobRow): Promise<void> {
  const others = await db.select({ name: jobs.name, derivedMappings: jobs.derivedMappings }).from(jobs).where(eq(jobs.connectionId, before.connectionId));
  const problems: ErrorDetail[] = [];
  for (const other of others) {
    for (const lookup of other.derivedMappings.filter((d) => d.locked && d.object === before.targetObject)) {
      for (const { field } of lookup.match) {
        const fed = before.mappings.find((m) => m.target === field);
        if (fed && !next.mappings.some((m) => m.target === field && m.source === fed.source)) {
          problems.push({ path: '/mappings', message: `the mapping ${fed.source} → ${field} feeds the locked lookup of job "${other.name}" (${lookup.target} by ${field}) and cannot be removed or changed` });
        }
      }
    }
  }
  if (problems.length > 0) throw conflict('locked', problems.map((p) => p.message).join('; '), problems);
}

/** Compared field by field: jsonb hands objects back with their keys reordered. */
function sameMatch(a: DerivedMapping['match'], b: DerivedMapping['match']): boolean {
  return a.length === b.length && a.every((m, i) => m.source === b[i]!.source && m.field === b[i]!.field);
}

/** Locked flags are the connector's to set; a client's copy of them is carried over, never trusted. */
export function keepLockFlags<T extends { locked?: boolean }>(items: T[], before: T[], same: (a: T, b: T) => boolean): T[] {
  return items.map((item) => {
    const { locked: _ignored, ...rest } = item;
    return before.some((b) => b.locked && same(b, item)) ? ({ ...rest, locked: true } as T) : (rest as T);
  });
}
