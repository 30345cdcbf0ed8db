// What the console's pages show, read the way the REST API reads it (services/), with the names a
// person needs beside the ids.
import { and, asc, count, desc, eq, inArray, lt, or, sql as dsql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { connections, jobState, jobs, runs, type JobRow, type RunRow } from '../../db/schema.js';
import { nextRunTimes } from '../../services/next-runs.js';
import { runConditions, toRunDocument, type RunFilters } from '../../services/runs.js';
import type { TemporalContext } from '../../temporal/context.js';
import type { TimeKey } from '../paging.js';

/** The console lists at most this many jobs on a page; the API pages through more. */
export const MAX_JOBS = 500;
export const RUNS_PAGE = 50;

export type RunView = ReturnType<typeof toRunDocument> & { jobName: string | null };

export interface JobOverview {
  job: JobRow;
  connectionName: string;
  connector: string;
  watermark: Date | null;
  lastRun: RunView | null;
  /** What the job is doing now: retrying, running, queued, or idle. */
  now: 'retrying' | 'running' | 'queued' | 'idle';
  queued: number;
  nextRunAt: Date | null;
}

export async function jobsOverview(db: Db, temporal: TemporalContext, filter: { connectionId?: string | undefined; jobId?: string | undefined } = {}): Promise<JobOverview[]> {
  const rows = await db
    .select({ job: jobs, connectionName: connections.name, connector: connections.connector, watermark: jobState.watermark })
    .from(jobs)
    .innerJoin(connections, eq(connections.id, jobs.connectionId))
    .leftJoin(jobState, eq(jobState.jobId, jobs.id))
    .where(and(filter.connectionId ? eq(jobs.connectionId, filter.connectionId) : undefined, filter.jobId ? eq(jobs.id, filter.jobId) : undefined))
    .orderBy(asc(connections.name), asc(jobs.name))
    .limit(MAX_JOBS);
  const ids = rows.map((r) => r.job.id);
  if (ids.length === 0) return [];
  const [latest, active, next] = await Promise.all([
    db.selectDistinctOn([runs.jobId]).from(runs).where(inArray(runs.jobId, ids)).orderBy(runs.jobId, desc(runs.n)),
    db
      .select({
        jobId: runs.jobId,
        queued: dsql<number>`count(*) filter (where ${runs.status} = 'queued')::int`,
        running: dsql<number>`count(*) filter (where ${runs.status} = 'running')::int`,
        retrying: dsql<number>`count(*) filter (where ${runs.status} = 'running' and ${runs.waiting} is not null)::int`,
      })
      .from(runs)
      .where(and(inArray(runs.jobId, ids), inArray(runs.status, ['queued', 'running'])))
      .groupBy(runs.jobId),
    nextRunTimes(temporal, db, rows.map((r) => r.job)),
  ]);
  const lastRuns = new Map<string, RunRow>();
  for (const row of latest) lastRuns.set(row.jobId, row);
  return rows.map((r) => {
    const a = active.find((x) => x.jobId === r.job.id);
    const last = lastRuns.get(r.job.id);
    return {
      ...r,
      lastRun: last ? { ...toRunDocument(last), jobName: r.job.name } : null,
      now: a?.retrying ? 'retrying' : a?.running ? 'running' : a?.queued ? 'queued' : 'idle',
      queued: a?.queued ?? 0,
      nextRunAt: next.get(r.job.id) ?? null,
    };
  });
}

export async function connectionsOverview(db: Db) {
  const counted = await db
    .select({ connection: connections, jobs: count(jobs.id) })
    .from(connections)
    .leftJoin(jobs, eq(jobs.connectionId, connections.id))
    .groupBy(connections.id)
    .orderBy(asc(connections.name))
    .limit(MAX_JOBS);
  return counted;
}

const queuedAtText = dsql<string>`to_char(${runs.queuedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A page of runs across jobs, newest first, with their jobs' names; the key of the next page. */
export async function runsPage(db: Db, filters: RunFilters, after: TimeKey | null, limit = RUNS_PAGE): Promise<{ items: RunView[]; next: TimeKey | null }> {
  const rows = await db
    .select({ run: runs, at: queuedAtText, jobName: jobs.name })
    .from(runs)
    .leftJoin(jobs, eq(jobs.id, runs.jobId))
    .where(
      and(
        ...runConditions(filters),
        after ? or(lt(runs.queuedAt, dsql`${after.at}::timestamptz`), and(eq(runs.queuedAt, dsql`${after.at}::timestamptz`), lt(runs.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(runs.queuedAt), desc(runs.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map((r) => ({ ...toRunDocument(r.run), jobName: r.jobName })), next: rows.length > limit && last ? { at: last.at, id: last.run.id } : null };
}

/** Every job's id and name, for the runs page's job filter. */
export async function jobNames(db: Db) {
  return db.select({ id: jobs.id, name: jobs.name }).from(jobs).orderBy(asc(jobs.name)).limit(MAX_JOBS);
}
