// Job chains: the document clients see, the checks a chain's members must pass, and the numbering
// of its runs (shared by the API, which starts a chain run now, and the chain's schedule).
import { and, eq, inArray, sql as dsql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { chainRuns, jobChains, jobs, type ChainRow } from '../db/schema.js';
import { invalidConfiguration } from '../sync/errors.js';
import type { StoredError } from '../sync/types.js';
import { chainRunIdOf, workflowIds } from '../temporal/names.js';
import { badRequest, unprocessable, type ErrorDetail } from '../api/errors.js';
import { assertRunnable } from './jobs.js';

export function toChainDocument(row: ChainRow) {
  return {
    id: row.id,
    name: row.name,
    jobIds: row.jobIds,
    schedule: row.schedule ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What the audit log records of a chain: every attribute an admin can change. */
export function auditedChain(row: ChainRow): Record<string, unknown> {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = toChainDocument(row);
  return rest;
}

/** Members must exist once each (400 naming each), and each must be able to run (422 naming it). */
export async function validateChainMembers(db: Db, jobIds: string[]): Promise<void> {
  const problems: ErrorDetail[] = [];
  if (jobIds.length === 0) problems.push({ path: '/jobIds', message: 'a chain needs at least one job' });
  const found = jobIds.length === 0 ? [] : await db.select().from(jobs).where(inArray(jobs.id, jobIds));
  jobIds.forEach((id, i) => {
    if (jobIds.indexOf(id) < i) problems.push({ path: `/jobIds/${i}`, message: `job "${id}" is listed twice; a chain runs each job once` });
    else if (!found.some((j) => j.id === id)) problems.push({ path: `/jobIds/${i}`, message: `job "${id}" does not exist` });
  });
  if (problems.length > 0) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  for (const id of jobIds) assertRunnable(found.find((j) => j.id === id)!);
}

export interface AllocatedChainRun {
  chainRunId: string;
  n: number;
  jobIds: string[];
  name: string;
}

/**
 * Takes the chain's next run number and records the run, in one transaction; its members are fixed
 * from here on. With a `requestKey` (a schedule's firing) the same key always answers the same run:
 * an activity retried after its first attempt committed leaves no second run that nothing ends.
 */
export async function allocateChainRun(db: Db, chainId: string, trigger: string, requestKey?: string): Promise<AllocatedChainRun> {
  return db.transaction(async (tx) => {
    if (requestKey !== undefined) {
      const [asked] = await tx.select().from(chainRuns).where(eq(chainRuns.requestKey, requestKey));
      if (asked) {
        const [chain] = await tx.select().from(jobChains).where(eq(jobChains.id, asked.chainId));
        if (!chain) throw invalidConfiguration(`Job chain ${chainId} does not exist.`);
        return { chainRunId: asked.id, n: asked.n, jobIds: chain.jobIds, name: chain.name };
      }
    }
    const [chain] = await tx
      .update(jobChains)
      .set({ nextRunNumber: dsql`${jobChains.nextRunNumber} + 1` })
      .where(eq(jobChains.id, chainId))
      .returning();
    if (!chain) throw invalidConfiguration(`Job chain ${chainId} does not exist.`);
    const n = chain.nextRunNumber - 1;
    const chainRunId = chainRunIdOf(chainId, n);
    await tx
      .insert(chainRuns)
      .values({ id: chainRunId, chainId, n, trigger, status: 'running', workflowId: workflowIds.chainRun(chainId, n), requestKey: requestKey ?? null });
    return { chainRunId, n, jobIds: chain.jobIds, name: chain.name };
  });
}

/** Ends a chain run once; a later call (a retry, a cancellation racing a failure) changes nothing. */
export async function finishChainRun(db: Db, chainRunId: string, status: string, error: StoredError | null): Promise<void> {
  await db
    .update(chainRuns)
    .set({ status, error, finishedAt: new Date() })
    .where(and(eq(chainRuns.id, chainRunId), eq(chainRuns.status, 'running')));
}

/** A chain about to run: every member must still exist and be able to run (422 naming it). */
export async function assertChainRunnable(db: Db, chain: ChainRow): Promise<void> {
  const members = chain.jobIds.length === 0 ? [] : await db.select().from(jobs).where(inArray(jobs.id, chain.jobIds));
  for (const id of chain.jobIds) {
    const job = members.find((j) => j.id === id);
    if (!job) throw unprocessable('chain_member_missing', `Job chain "${chain.name}" lists job ${id}, which no longer exists; remove it from jobIds and try again.`);
    assertRunnable(job);
  }
}
