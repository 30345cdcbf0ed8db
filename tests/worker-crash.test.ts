// A worker killed mid-run (SIGKILL: no shutdown, no goodbye) is replaced, and the run continues
// where it stopped: no duplicate rows, no lost rows, exact counts.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWorkerProcess } from '../scripts/harness/worker.js';
import type { Child } from '../scripts/harness/children.js';
import { SECRET_KEY, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, type JobDoc } from './support/px-flow.js';
import { expectExactCompanyRun, pagesCommitted, startImportNow } from './support/run-checks.js';

const ACCOUNTS = 20_000;
/** PX pages of 1,000 (the connector's page size), then the empty page that ends the scroll. */
const PAGES = ACCOUNTS / 1000 + 1;

describe('a worker killed mid-run', () => {
  let stack: Stack;
  let companySync: JobDoc;
  const workers: Child[] = [];

  const startWorker = async () => {
    const worker = await startWorkerProcess({
      databaseUrl: stack.databaseUrl,
      temporalAddress: stack.temporalAddress,
      taskQueue: stack.temporal.taskQueue,
      secretKey: SECRET_KEY,
      workflowBundle: inject('workflowBundlePath'),
    });
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    // No worker in this process: only the separate worker processes may take the run's tasks.
    stack = await startStack({ worker: false, px: { accounts: ACCOUNTS, users: 50, seed: 31 } });
    const connected = await connectPx(stack);
    companySync = await chooseAccountIdKey(stack, connected.companySync);
  });
  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await stack?.stop();
  });

  it('is replaced and the run continues where it stopped, with exact rows and counts', async () => {
    const first = await startWorker();
    // Slow pages, so the kill lands in the middle of the run.
    stack.px!.faults.latency(300);
    const runId = await startImportNow(stack, companySync.id);
    await pagesCommitted(stack, runId, 3);
    await first.kill('SIGKILL');
    const [atKill] = await stack.database.sql<{ pages: number; status: string }[]>`select pages, status from runs where id = ${runId}`;
    expect(atKill).toMatchObject({ status: 'running' });
    await startWorker();

    await expectExactCompanyRun(stack, runId, { accounts: ACCOUNTS, pages: PAGES });
    expect(atKill!.pages).toBeLessThan(PAGES);
    // The replacement went on from the committed cursor: the scroll was started once, and only a
    // page in flight at the kill can have been read twice.
    const reads = stack.px!.stats.queries.filter((query) => query.path === '/v1/accounts');
    expect(reads.filter((query) => query.scrollId === null)).toHaveLength(1);
    expect(reads.length).toBeLessThanOrEqual(PAGES + 2);
  });
});
