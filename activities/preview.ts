// A job preview: what a run would do with the next records, under the saved job or a draft of it,
// record by record, written nowhere. It reads through the same source as a run (same connector,
// same push-down, nothing marked as read), filters, maps and converts the same way, and runs the
// same lookups and upserts inside a transaction that is rolled back: the outcomes are the ones a
// run would have, and the target, the run rows and the watermark stay as they were.
import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { jobState, jobs } from '../db/schema.js';
import type { RejectedRecord } from '../connectors/types.js';
import { loadObjectMetadata } from '../services/metadata.js';
import { currentConfiguration } from '../services/run-configuration.js';
import { compileFailedConditions, compileFilter } from '../sync/filters.js';
import { buildPlan, type SyncPlan } from '../sync/plan.js';
import { prepareRecord, sourceIdOf, type PreparedRecord, type RecordFailure, type Value } from '../sync/transform.js';
import type { DerivedMapping, FilterCondition, FilterSpec, Mapping, ModificationType } from '../sync/types.js';
import type { ActivityDeps } from './deps.js';
import { writeIsolated, type Written } from './isolate.js';
import { openRunSource } from './source.js';
import { storableJson } from './stored-failures.js';
import { lockObjects, type FieldChange } from './upsert.js';

/** The parts of a job a preview may replace: those PATCH /v1/jobs/:id edits about records. */
export interface JobDraft {
  modificationType?: ModificationType;
  mappings?: Mapping[];
  derivedMappings?: DerivedMapping[];
  filters?: FilterSpec;
}

export interface PreviewInput {
  jobId: string;
  previewId: string;
  /** Already checked by the API as PATCH would check it; null previews the saved job. */
  draft: JobDraft | null;
  limit: number;
  /** Import From Date's window; null reads from the watermark, as Import Now would. */
  window: { from: string; to: string | null } | null;
}

export type PreviewOutcome = 'insert' | 'update' | 'unchanged' | 'filtered' | 'fail';

export interface PreviewRecord {
  sourceId: string | null;
  outcome: PreviewOutcome;
  /** The target values the record maps to (a company person's person fields among them). */
  values?: Record<string, Value>;
  /** For an update, each field it changes, old and new. */
  changes?: FieldChange[];
  /** For a filtered record, the conditions it fails. */
  filter?: FilterCondition[];
  reason?: string;
}

export interface PreviewResult {
  window: { from: string; to: string };
  summary: Record<PreviewOutcome, number> & { fetched: number };
  records: PreviewRecord[];
}

/** How long a preview waits for a running run's page to commit before it gives up. */
const PREVIEW_LOCK_WAIT_SECONDS = 15;

/** PostgreSQL's lock_not_available: a lock_timeout ran out. */
const isLockTimeout = (error: unknown) => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '55P03';

const OUTCOME_OF = { inserted: 'insert', updated: 'update', unchanged: 'unchanged' } as const;

/** Thrown to roll the preview's writes back, carrying what they did. */
class RolledBack extends Error {
  constructor(readonly written: Written) {
    super('preview writes rolled back');
  }
}

export function createPreviewActivities(deps: ActivityDeps) {
  const { db, sql } = deps.database;

  return {
    async previewJob(input: PreviewInput): Promise<{ previewId: string; records: number }> {
      const current = await currentConfiguration(db, input.jobId);
      const job = { ...current.job, ...(input.draft ?? {}) };
      const plan = buildPlan(job, await loadObjectMetadata(db));
      const keep = compileFilter(job.filters);
      const failedConditions = compileFailedConditions(job.filters);
      const window = input.window ? { from: new Date(input.window.from), to: input.window.to ? new Date(input.window.to) : new Date() } : await incrementalWindow(input.jobId);
      const source = await openRunSource(
        deps,
        { job, connection: current.connection },
        { id: input.previewId, jobId: input.jobId, trigger: input.window ? 'import_from_date' : 'import_now', window },
        input.limit,
      );

      const read: Record<string, unknown>[] = [];
      const rejected: RejectedRecord[] = [];
      for (let cursor: unknown = null, first = true; first || (cursor !== null && read.length + rejected.length < input.limit); first = false) {
        const page = await source.read(cursor);
        read.push(...page.records);
        rejected.push(...(page.rejected ?? []));
        cursor = page.nextCursor;
      }

      const entries: { entry: PreviewRecord; prepared?: PreparedRecord }[] = rejected.map((r) => ({ entry: { sourceId: r.sourceId, outcome: 'fail', reason: r.reason } }));
      const prepared: PreparedRecord[] = [];
      for (const record of read.slice(0, Math.max(0, input.limit - entries.length))) {
        if (!keep(record)) {
          entries.push({ entry: { sourceId: sourceIdOf(record, source.idField), outcome: 'filtered', filter: failedConditions(record) } });
          continue;
        }
        const outcome = prepareRecord(record, plan, source.idField);
        if ('reason' in outcome) {
          entries.push({ entry: { sourceId: outcome.sourceId, outcome: 'fail', reason: outcome.reason } });
        } else {
          prepared.push(outcome);
          entries.push({ entry: { sourceId: outcome.sourceId, outcome: 'unchanged' }, prepared: outcome });
        }
      }

      const written = await writeAndRollBack(plan, prepared);
      const failures = new Map<PreparedRecord['source'], RecordFailure>(written.failures.map((f) => [f.source, f]));
      const outcomes = new Map(written.outcomes.map((o) => [o.record, o]));
      for (const { entry, prepared: record } of entries) {
        if (!record) continue;
        const failure = failures.get(record.source);
        const outcome = outcomes.get(record);
        if (failure || !outcome) {
          entry.outcome = 'fail';
          entry.reason = failure?.reason ?? 'not written';
          continue;
        }
        entry.outcome = OUTCOME_OF[outcome.outcome];
        entry.values = { ...record.personValues, ...record.values };
        if (outcome.outcome === 'updated') entry.changes = outcome.changes;
      }

      const records = entries.map((e) => e.entry);
      const summary = { fetched: records.length, insert: 0, update: 0, unchanged: 0, filtered: 0, fail: 0 };
      for (const record of records) summary[record.outcome]++;
      const result: PreviewResult = { window: { from: window.from.toISOString(), to: window.to.toISOString() }, summary, records };
      await sql`insert into job_previews (id, job_id, result) values (${input.previewId}, ${input.jobId}, ${storableJson(result)}::jsonb)
        on conflict (id) do update set result = excluded.result`;
      return { previewId: input.previewId, records: records.length };
    },
  };

  /**
   * The run's lookups and upserts, in a transaction that is never committed. It takes the objects'
   * page lock as a run's page does, so that it never deadlocks with a running run's page nor races
   * it on a unique key; it waits for that page's commit a bounded time, never the other way round
   * for longer than its own rolled-back writes take.
   */
  async function writeAndRollBack(plan: SyncPlan, prepared: PreparedRecord[]): Promise<Written> {
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(`set local lock_timeout = '${PREVIEW_LOCK_WAIT_SECONDS}s'`);
        await lockObjects(tx, plan);
        throw new RolledBack(await writeIsolated(tx, plan, prepared, true));
      });
    } catch (error) {
      if (error instanceof RolledBack) return error.written;
      if (isLockTimeout(error)) {
        throw ApplicationFailure.create({
          type: 'TARGET_BUSY',
          nonRetryable: true,
          message: `a run kept writing ${plan.object.name} for more than ${PREVIEW_LOCK_WAIT_SECONDS} s; preview again in a moment`,
        });
      }
      throw error;
    }
    throw new Error('a preview transaction committed');
  }

  /** Import Now's window: from the watermark (less the lookback), or 1970, to now. */
  async function incrementalWindow(jobId: string): Promise<{ from: Date; to: Date }> {
    const [row] = await db.select({ watermark: jobState.watermark, lookback: jobs.lookbackSeconds }).from(jobs).leftJoin(jobState, eq(jobState.jobId, jobs.id)).where(eq(jobs.id, jobId));
    const from = row?.watermark ? new Date(row.watermark.getTime() - (row.lookback ?? 0) * 1000) : new Date(0);
    return { from, to: new Date() };
  }
}
