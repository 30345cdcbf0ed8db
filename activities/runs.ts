// Run bookkeeping: the run rows that the API and the execution log read, and the hand-offs
// between workflows (a dependency or chain member asked of another job's workflow).
import { eq, inArray, isNotNull, sql as dsql } from 'drizzle-orm';
import { chainRuns, connections, jobChains, jobState, jobs, runs, type RunRow } from '../db/schema.js';
import { setConnectionStatus } from '../services/connections.js';
import { buildPlan } from '../sync/plan.js';
import { loadObjectMetadata } from '../services/metadata.js';
import { allocateChainRun, finishChainRun, type AllocatedChainRun } from '../services/chains.js';
import { invalidConfiguration } from '../sync/errors.js';
import { FINAL_STATUSES, type RunStatus, type RunTrigger, type StoredError } from '../sync/types.js';
import { triggerJob } from '../temporal/jobs.js';
import { fixRunConfiguration } from '../services/run-configuration.js';
import { actorOfTrigger, endLostRuns } from '../services/runs.js';
import { endWaiting } from '../services/run-waits.js';
import type { IsoWindow, SyncRunResult, TriggerRequest, TriggerResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

const EPOCH = new Date(0);

export function createRunActivities(deps: ActivityDeps) {
  const { db } = deps.database;

  async function loadJob(jobId: string) {
    const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    return job ?? null;
  }

  /**
   * A connection's status follows what its runs find: credentials the source rejects make it
   * `error` (a connection waiting for authorization stays so), a run that read its source makes an
   * `error` connection `active` again.
   */
  async function noteRunOnConnection(run: RunRow, status: RunStatus, error: StoredError | null): Promise<void> {
    const connectionId = run.configuration?.connection.id ?? (await loadJob(run.jobId))?.connectionId;
    if (!connectionId) return;
    const [connection] = await db.select({ status: connections.status }).from(connections).where(eq(connections.id, connectionId));
    if (!connection) return;
    if (error?.code === 'SOURCE_AUTH_REJECTED' && connection.status !== 'needs_authorization') {
      await setConnectionStatus(db, connectionId, 'error', error.message);
    } else if ((status === 'success' || status === 'partial_success') && connection.status === 'error') {
      await setConnectionStatus(db, connectionId, 'active', null);
    }
  }

  return {
    async recordRunQueued(input: {
      runId: string;
      jobId: string;
      n: number;
      trigger: RunTrigger;
      window: { from: string; to?: string | null } | null;
      chainRunId: string | null;
      parentRunId: string | null;
      workflowId: string;
      /** Who asked: a token's owner; runs queued before runs had one are named after their trigger. */
      actor?: string | null;
    }): Promise<void> {
      await db
        .insert(runs)
        .values({
          id: input.runId,
          jobId: input.jobId,
          n: input.n,
          trigger: input.trigger,
          status: 'queued',
          chainRunId: input.chainRunId,
          parentRunId: input.parentRunId,
          workflowId: input.workflowId,
          actor: input.actor ?? actorOfTrigger(input.trigger),
          windowFrom: input.window ? new Date(input.window.from) : null,
          windowTo: input.window?.to ? new Date(input.window.to) : null,
        })
        .onConflictDoNothing();
      await db
        .insert(jobState)
        .values({ jobId: input.jobId, nextRunNumber: input.n + 1 })
        .onConflictDoUpdate({ target: jobState.jobId, set: { nextRunNumber: dsql`greatest(${jobState.nextRunNumber}, ${input.n + 1})`, updatedAt: new Date() } });
    },

    /** Fixes the run's window: `now` is taken once, here, when the run starts. */
    async prepareRun(input: {
      runId: string;
      jobId: string;
      incremental: boolean;
      watermark: string | null;
      window: { from: string; to?: string | null } | null;
    }): Promise<
      | { window: IsoWindow; connectionId: string; jobName: string; outageBudgetSeconds: number; chainId: string | null }
      | { error: StoredError }
    > {
      const job = await loadJob(input.jobId);
      if (!job) return { error: { code: 'INVALID_CONFIGURATION', message: `Job ${input.jobId} was deleted before its run could start.` } };
      const now = new Date();
      const from = input.incremental
        ? input.watermark
          ? new Date(new Date(input.watermark).getTime() - job.lookbackSeconds * 1000)
          : EPOCH
        : new Date(input.window!.from);
      const to = input.incremental ? now : input.window?.to ? new Date(input.window.to) : now;
      if (from.getTime() >= to.getTime()) {
        return { error: { code: 'INVALID_CONFIGURATION', message: `The window ${from.toISOString()} to ${to.toISOString()} is empty: "from" must be before "to".` } };
      }
      const [run] = await db
        .update(runs)
        .set({ windowFrom: from, windowTo: to })
        .where(eq(runs.id, input.runId))
        .returning({ chainRunId: runs.chainRunId });
      let chainId: string | null = null;
      if (run?.chainRunId) {
        const [chainRun] = await db.select({ chainId: chainRuns.chainId }).from(chainRuns).where(eq(chainRuns.id, run.chainRunId));
        chainId = chainRun?.chainId ?? null;
      }
      return {
        window: { from: from.toISOString(), to: to.toISOString() },
        connectionId: job.connectionId,
        jobName: job.name,
        outageBudgetSeconds: job.outageBudgetSeconds,
        chainId,
      };
    },

    /** Marks the run in progress and says which jobs must run first; refuses a job that cannot run. */
    async beginRun({ runId }: { runId: string }): Promise<{ dependencies: { jobId: string; name: string }[] }> {
      const [run] = await db.select().from(runs).where(eq(runs.id, runId));
      if (!run) throw invalidConfiguration(`Run ${runId} does not exist.`);
      const { job } = await fixRunConfiguration(db, run);
      buildPlan(job, await loadObjectMetadata(db));
      await db.update(runs).set({ status: 'running', startedAt: run.startedAt ?? new Date() }).where(eq(runs.id, runId));
      if (job.dependsOn.length === 0) return { dependencies: [] };
      const found = await db.select({ id: jobs.id, name: jobs.name }).from(jobs).where(inArray(jobs.id, job.dependsOn));
      return {
        dependencies: job.dependsOn.map((id) => {
          const dependency = found.find((f) => f.id === id);
          if (!dependency) throw invalidConfiguration(`Job "${job.name}" depends on job ${id}, which no longer exists; remove it from dependsOn.`);
          return { jobId: id, name: dependency.name };
        }),
      };
    },

    /** Ends the run once: a given outcome, or success / partial success from its counts. */
    async finishRun({ runId, outcome }: { runId: string; outcome: { status: RunStatus; error: StoredError | null } | null }): Promise<SyncRunResult> {
      const [run] = await db.select().from(runs).where(eq(runs.id, runId));
      if (!run) throw invalidConfiguration(`Run ${runId} does not exist.`);
      const counts = { fetched: run.fetched, filtered: run.filtered, inserted: run.inserted, updated: run.updated, unchanged: run.unchanged, failed: run.failed };
      if (FINAL_STATUSES.includes(run.status as RunStatus)) return { status: run.status as RunStatus, counts, error: run.error ?? null };
      const status: RunStatus = outcome?.status ?? (run.failed > 0 ? 'partial_success' : 'success');
      const error = outcome?.error ?? null;
      // A run that ends while it waits (its outage budget spent, or cancelled) waited until now.
      if (run.waiting) await endWaiting(db, runId);
      await db.update(runs).set({ status, error, finishedAt: new Date() }).where(eq(runs.id, runId));
      await noteRunOnConnection(run, status, error);
      return { status, counts, error };
    },

    /** Ends the job's runs that its workflow, just started, does not know (see endLostRuns). */
    async reconcileLostRuns({ jobId, before, known }: { jobId: string; before: number; known: string[] }): Promise<string[]> {
      return endLostRuns(db, jobId, { before, known });
    },

    async mirrorJobState({ jobId, watermark }: { jobId: string; watermark: string | null }): Promise<void> {
      const value = watermark ? new Date(watermark) : null;
      const [job] = await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.id, jobId));
      if (!job) return;
      await db
        .insert(jobState)
        .values({ jobId, watermark: value })
        .onConflictDoUpdate({ target: jobState.jobId, set: { watermark: value, updatedAt: new Date() } });
    },

    /** Asks another job's workflow for a run; `requestId` makes a retried request idempotent. */
    async requestRun({ jobId, request, requestId }: { jobId: string; request: TriggerRequest; requestId: string }): Promise<TriggerResult> {
      return triggerJob(deps.temporal, db, jobId, request, requestId);
    },

    /**
     * A schedule firing: skipped while the job belongs to a chain whose schedule is on, which runs
     * it. A chain whose schedule is paused runs nothing, so its members' own schedules apply.
     */
    async requestScheduledRun({ jobId, notify, requestId }: { jobId: string; notify?: string[]; requestId?: string }): Promise<{ runId?: string; skipped?: string }> {
      const chains = await db.select({ id: jobChains.id, name: jobChains.name, jobIds: jobChains.jobIds, schedule: jobChains.schedule }).from(jobChains).where(isNotNull(jobChains.schedule));
      const chain = chains.find((c) => c.schedule?.enabled !== false && c.jobIds.includes(jobId));
      if (chain) return { skipped: `job is a member of chain "${chain.name}", whose schedule runs it` };
      const result = await triggerJob(deps.temporal, db, jobId, { trigger: 'schedule', ...(notify ? { notify } : {}) }, requestId);
      return { runId: result.runId };
    },

    async allocateChainRun({ chainId, trigger, requestKey }: { chainId: string; trigger: string; requestKey?: string }): Promise<AllocatedChainRun> {
      return allocateChainRun(db, chainId, trigger, requestKey);
    },

    async finishChainRun({ chainRunId, status, error }: { chainRunId: string; status: string; error: StoredError | null }): Promise<void> {
      await finishChainRun(db, chainRunId, status, error);
    },
  };
}
