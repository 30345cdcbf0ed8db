// The three logs an admin reads: configuration changes (audit), changes to connections, and runs
// (execution). Each is newest first and paged by the sort key of its last item.
import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditLog, connections, jobs, runs } from '../db/schema.js';
import type { RunStatus } from '../sync/types.js';
import { STATUS_WORDS, actorOfTrigger } from './runs.js';
import { durationWords, waitedSentence } from './run-waits.js';
import type { RunTrigger } from '../sync/types.js';

export const LOG_TYPES = ['audit', 'execution', 'connection'] as const;
export type LogType = (typeof LOG_TYPES)[number];

export interface LogFilters {
  connector?: string | undefined;
  connectionId?: string | undefined;
  jobId?: string | undefined;
}

export interface LogPage<T> {
  items: T[];
  /** The sort key of the last item when more follow. */
  lastKey: string | null;
}

type StoredAudit = typeof auditLog.$inferSelect;

function auditConditions(filters: LogFilters, afterId: number | null): (SQL | undefined)[] {
  return [
    filters.connector ? eq(auditLog.connector, filters.connector) : undefined,
    filters.connectionId ? eq(auditLog.connectionId, filters.connectionId) : undefined,
    filters.jobId ? eq(auditLog.jobId, filters.jobId) : undefined,
    afterId !== null ? lt(auditLog.id, afterId) : undefined,
  ];
}

async function auditRows(db: Db, where: (SQL | undefined)[], limit: number): Promise<LogPage<StoredAudit>> {
  const rows = await db.select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.id)).limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, lastKey: rows.length > limit ? String(items[items.length - 1]!.id) : null };
}

export async function auditLogPage(db: Db, filters: LogFilters, limit: number, afterId: number | null) {
  const page = await auditRows(db, auditConditions(filters, afterId), limit);
  return {
    lastKey: page.lastKey,
    items: page.items.map((row) => ({
      id: String(row.id),
      when: row.at.toISOString(),
      who: row.actor,
      entity: { type: row.entityType, id: row.entityId, name: row.entityName },
      connector: row.connector,
      connectionId: row.connectionId,
      jobId: row.jobId,
      attribute: row.attribute,
      subAttribute: row.subAttribute,
      action: row.action,
      oldValue: row.oldValue ?? null,
      newValue: row.newValue ?? null,
      additionalInfo: row.additionalInfo,
    })),
  };
}

export async function connectionLogPage(db: Db, filters: LogFilters, limit: number, afterId: number | null) {
  const page = await auditRows(db, [eq(auditLog.entityType, 'connection'), ...auditConditions(filters, afterId)], limit);
  return {
    lastKey: page.lastKey,
    items: page.items.map((row) => ({
      id: String(row.id),
      connectionId: row.entityId,
      connectionName: row.entityName,
      connector: row.connector,
      user: row.actor,
      action: row.action,
      modifiedOn: row.at.toISOString(),
      attribute: row.attribute,
      subAttribute: row.subAttribute,
      oldValue: row.oldValue ?? null,
      newValue: row.newValue ?? null,
      additionalInfo: row.additionalInfo,
    })),
  };
}

/** Execution-log cursors carry the queue time at full (microsecond) precision, which a Date would cut; ISO, UTC. */
export interface RunKey {
  queuedAt: string;
  id: string;
}

export async function executionLogPage(db: Db, filters: LogFilters, limit: number, after: RunKey | null) {
  const queuedAtText = sql<string>`to_char(${runs.queuedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const rows = await db
    .select({ run: runs, queuedAtText, jobName: jobs.name, connectionId: connections.id, connectionName: connections.name, connector: connections.connector })
    .from(runs)
    .leftJoin(jobs, eq(jobs.id, runs.jobId))
    .leftJoin(connections, eq(connections.id, jobs.connectionId))
    .where(
      and(
        filters.connector ? eq(connections.connector, filters.connector) : undefined,
        filters.connectionId ? eq(jobs.connectionId, filters.connectionId) : undefined,
        filters.jobId ? eq(runs.jobId, filters.jobId) : undefined,
        after ? or(lt(runs.queuedAt, sql`${after.queuedAt}::timestamptz`), and(eq(runs.queuedAt, sql`${after.queuedAt}::timestamptz`), lt(runs.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(runs.queuedAt), desc(runs.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    lastKey: rows.length > limit && last ? `${last.queuedAtText}|${last.run.id}` : null,
    items: items.map(({ run, jobName, connectionId, connectionName, connector }) => ({
      id: run.id,
      date: run.queuedAt.toISOString(),
      job: { id: run.jobId, name: jobName },
      connection: connectionId ? { id: connectionId, name: connectionName, connector } : null,
      callType: 'APPLICATION_DATA' as const,
      status: run.status === 'running' && run.waiting ? 'Retrying' : (STATUS_WORDS[run.status as RunStatus] ?? run.status),
      statusCode: run.status === 'running' && run.waiting ? 'retrying' : run.status,
      actor: run.actor ?? actorOfTrigger(run.trigger as RunTrigger),
      successCount: run.inserted + run.updated + run.unchanged,
      failureCount: run.failed,
      counts: { fetched: run.fetched, filtered: run.filtered, inserted: run.inserted, updated: run.updated, unchanged: run.unchanged, failed: run.failed },
      trigger: run.trigger,
      window: { from: run.windowFrom?.toISOString() ?? null, to: run.windowTo?.toISOString() ?? null },
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      durationSeconds: run.startedAt && run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null,
      errorMessage: run.error?.message ?? null,
      errorCode: run.error?.code ?? null,
      waitedMessage: run.waited ? waitedSentence(run.waited) : null,
      waitingMessage:
        run.status === 'running' && run.waiting
          ? `Waiting ${durationWords((Date.now() - Date.parse(run.waiting.since)) / 1000)} so far, after ${run.waiting.attempts} failed attempt${run.waiting.attempts === 1 ? '' : 's'}: ${run.waiting.lastError.message}`
          : null,
      failedRecordsUrl: run.failed > 0 ? `/v1/runs/${encodeURIComponent(run.id)}/errors` : null,
      runUrl: `/v1/runs/${encodeURIComponent(run.id)}`,
    })),
  };
}
