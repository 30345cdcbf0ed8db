// Ready-made jobs a connector offers, created by a user in one call each (Salesforce's Account and
// Contact jobs): once per connection, dependencies resolved to the jobs made from the templates
// they name, then edited like any job.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { jobs, templateJobs, type ConnectionRow, type JobRow } from '../db/schema.js';
import { findConnector } from '../connectors/registry.js';
import type { JobTemplate } from '../connectors/types.js';
import { conflict, notFound } from '../api/errors.js';
import { recordAudit } from './audit.js';
import { auditedJob, DEFAULT_NOTIFICATIONS, validateJob } from './jobs.js';
import type { Notifications } from '../sync/types.js';

export interface TemplateView {
  key: string;
  name: string;
  description: string | null;
  source: { object: string };
  target: { object: string };
  dependsOn: string[];
  /** The job made from the template on this connection, once there is one. */
  jobId: string | null;
}

function templatesOf(connection: ConnectionRow): JobTemplate[] {
  return findConnector(connection.connector)?.jobTemplates?.(connection.name, connection.config) ?? [];
}

async function madeJobs(db: Db, connectionId: string): Promise<Map<string, string>> {
  const rows = await db.select().from(templateJobs).where(eq(templateJobs.connectionId, connectionId));
  return new Map(rows.map((r) => [r.template, r.jobId]));
}

export async function listTemplates(db: Db, connection: ConnectionRow): Promise<TemplateView[]> {
  const made = await madeJobs(db, connection.id);
  return templatesOf(connection).map((t) => ({
    key: t.key,
    name: t.name,
    description: t.description ?? null,
    source: { object: t.sourceObject },
    target: { object: t.targetObject },
    dependsOn: t.dependsOn,
    jobId: made.get(t.key) ?? null,
  }));
}

export async function createFromTemplate(db: Db, actor: string, connection: ConnectionRow, key: string, jobId: string, notifications: Notifications = DEFAULT_NOTIFICATIONS): Promise<JobRow> {
  const templates = templatesOf(connection);
  const template = templates.find((t) => t.key === key);
  if (!template) throw notFound('Job template', key);
  const made = await madeJobs(db, connection.id);
  const existing = made.get(key);
  if (existing) throw conflict('template_job_exists', `The "${template.name}" job was already created from this template (job ${existing}); edit that job instead.`);
  const dependsOn = template.dependsOn.map((dependency) => {
    const id = made.get(dependency);
    if (id) return id;
    const needed = templates.find((t) => t.key === dependency);
    throw conflict('template_dependency_missing', `"${template.name}" runs after "${needed?.name ?? dependency}": create that job first with POST /v1/connections/${connection.id}/job-templates/${dependency}.`);
  });
  const now = new Date();
  const row: JobRow = {
    id: jobId,
    connectionId: connection.id,
    name: template.name,
    sourceObject: template.sourceObject,
    targetObject: template.targetObject,
    modificationType: template.modificationType,
    mappings: template.mappings,
    derivedMappings: template.derivedMappings,
    filters: template.filters,
    dependsOn,
    notifications,
    lookbackSeconds: 300,
    outageBudgetSeconds: 21600,
    options: {},
    schedule: null,
    webhook: null,
    outOfTheBox: false,
    createdAt: now,
    updatedAt: now,
  };
  await validateJob(db, row);
  try {
    return await db.transaction(async (tx) => {
      const [created] = await tx.insert(jobs).values(row).returning();
      await tx.insert(templateJobs).values({ connectionId: connection.id, template: key, jobId });
      await recordAudit(tx, actor, { type: 'job', id: jobId, name: row.name, connector: connection.connector, connectionId: connection.id, jobId }, null, auditedJob(created!), `created from the "${key}" template of connection "${connection.name}"`);
      return created!;
    });
  } catch (error) {
    // Two requests for one template at once: the primary key lets one through.
    if (uniqueViolation(error)) throw conflict('template_job_exists', `The "${template.name}" job was just created from this template; list the templates to find it.`);
    throw error;
  }
}

function uniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return code === '23505';
}
