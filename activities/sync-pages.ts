// Reads and commits pages for up to a minute, then hands back to the workflow. Where it starts is
// read from the run's committed state, so a retry after a crash resumes at the last committed page.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { runs } from '../db/schema.js';
import { configurationOf } from '../services/run-configuration.js';
import { compileFilter } from '../sync/filters.js';
import { loadObjectMetadata } from '../services/metadata.js';
import { invalidConfiguration } from '../sync/errors.js';
import type { ReadPage } from '../connectors/types.js';
import { openRunSource } from './source.js';
import type { ActivityDeps } from './deps.js';
import { PageAlreadyCommitted, RunAlreadyEnded, commitPage, preparePage, type PreparedPage } from './page.js';
import { refreshStatistics, tablesReadBy } from './statistics.js';
import { buildPlan } from '../sync/plan.js';
import type { RunCounts, RunTrigger, StoredError } from '../sync/types.js';
import type { PagesSlice } from '../workflows/types.js';
import { endWaiting, noteFailedAttempt } from '../services/run-waits.js';
import { toFailure } from './failures.js';

const SLICE_MS = 60_000;
/** How often the page loop checks that the tables it reads have statistics PostgreSQL can plan by. */
const STATISTICS_EVERY_PAGES = 25;
/** Well inside the run workflow's heartbeat timeout (15 s). */
const HEARTBEAT_EVERY_MS = 2_000;

type Settled = { ok: true; page: PreparedPage } | { ok: false; error: unknown };

/** A page read that is always awaited later; settling it here keeps a failure from going unhandled. */
const settle = (promise: Promise<PreparedPage>): Promise<Settled> =>
  promise.then((page) => ({ ok: true as const, page }), (error: unknown) => ({ ok: false as const, error }));

async function unwrap(settled: Promise<Settled>): Promise<PreparedPage> {
  const result = await settled;
  if (!result.ok) throw result.error;
  return result.page;
}

export function createSyncPages(deps: ActivityDeps) {
  const { db } = deps.database;
  const readAndCommit = createPageLoop(deps);
  return async function syncPages({ runId }: { runId: string }): Promise<PagesSlice> {
    const { attempt } = Context.current().info;
    try {
      return await readAndCommit(runId, attempt);
    } catch (error) {
      const retried = retriedFailure(error);
      // Noted for the run's record of what it waited on; the database may be what is down, and the
      // failure must still reach Temporal, which retries it either way.
      if (retried) await noteFailedAttempt(db, runId, attempt, retried).catch((noteError: unknown) => Context.current().log.warn('could not note a failed attempt on the run', { runId, error: String(noteError) }));
      throw error;
    }
  };
}

/** What a failed attempt is noted as when Temporal will retry it; null when it will not, or it is no outage. */
function retriedFailure(error: unknown): StoredError | null {
  // Another attempt got there first, or the run ended or was cancelled: nothing was waited on.
  if (error instanceof PageAlreadyCommitted || error instanceof RunAlreadyEnded || error instanceof CancelledFailure) return null;
  const failure = toFailure(error);
  if (failure instanceof ApplicationFailure) return failure.nonRetryable ? null : { code: failure.type ?? 'INTERNAL', message: failure.message };
  // Anything else is retried too: a database that dropped its connections (postgres.js names the
  // cause in `code`), a bug.
  if (failure instanceof Error) return { code: String((failure as Error & { code?: unknown }).code ?? failure.name), message: failure.message };
  return { code: 'INTERNAL', message: String(failure) };
}

function createPageLoop(deps: ActivityDeps) {
  return async function readAndCommit(runId: string, attempt: number): Promise<PagesSlice> {
    const { db, sql } = deps.database;
    const [run] = await db.select().from(runs).where(eq(runs.id, runId));
    if (!run) throw invalidConfiguration(`Run ${runId} does not exist.`);
    // The run's counts so far, for the Temporal UI's view of its progress (numbers only, no records).
    const counts: RunCounts = { fetched: run.fetched, filtered: run.filtered, inserted: run.inserted, updated: run.updated, unchanged: run.unchanged, failed: run.failed };
    if (run.sourceDone) return { done: true, pages: run.pages, counts };
    // The job and connection as the run began with them: an edit meanwhile applies from the next run.
    const configuration = await configurationOf(db, run);
    const { job } = configuration;
    const plan = buildPlan(job, await loadObjectMetadata(db));
    const keep = compileFilter(job.filters);
    const trigger = run.trigger as RunTrigger;
    const source = await openRunSource(deps, configuration, {
      id: runId,
      jobId: job.id,
      trigger,
      window: { from: run.windowFrom!, to: run.windowTo! },
      ...(trigger === 'retry_failed' ? { retry: { jobId: job.id, parentRunId: run.parentRunId } } : {}),
    });
    const read = (cursor: unknown): Promise<PreparedPage> => source.read(cursor).then((page: ReadPage) => preparePage(page, plan, keep, source.idField));

    const readTables = tablesReadBy(plan);
    await refreshStatistics(sql, readTables);
    const context = Context.current();
    const deadline = Date.now() + SLICE_MS;
    let pageNo = run.pages;
    // Beats on a clock as well as per page: a slow page (PX may take its 30 s request timeout and
    // retries) must not look like a dead worker to the short heartbeat timeout that finds real ones.
    const beat = setInterval(() => context.heartbeat({ pages: pageNo }), HEARTBEAT_EVERY_MS);
    try {
      let next = settle(read(run.cursor ?? null));
      for (;;) {
        const page = await unwrap(next);
        // Read and prepare the next page while this one is written; only when it will certainly be used.
        const goOn = page.nextCursor !== null && Date.now() < deadline;
        if (goOn) next = settle(read(page.nextCursor));
        const committed = await commitPage(sql, { runId, jobId: job.id, pageNo, plan, ...page });
        for (const key of Object.keys(counts) as (keyof RunCounts)[]) counts[key] += committed[key];
        // A page committed after failed attempts ends the outage the run was waiting on.
        if (pageNo === run.pages && (run.waiting || attempt > 1)) await endWaiting(db, runId);
        pageNo++;
        if (pageNo % STATISTICS_EVERY_PAGES === 0) await refreshStatistics(sql, readTables);
        context.heartbeat({ pages: pageNo });
        if (context.cancellationSignal.aborted) {
          if (goOn) await next;
          throw new CancelledFailure('The run was cancelled; pages committed so far stay.');
        }
        if (!goOn) return { done: page.nextCursor === null, pages: pageNo, counts };
      }
    } finally {
      clearInterval(beat);
    }
  };
}
