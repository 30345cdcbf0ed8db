// Retries after outages: a source that goes away or rate-limits delays a run and never corrupts it;
// a rejected key fails it at once, saying what to fix.
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, PX_KEY, type Stack, startStack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { expectEachPageReadOnce, expectExactCompanyRun, pagesCommitted, startImportNow } from './support/run-checks.js';

const ACCOUNTS = 3000;
const PAGE_SIZE = 50;
/** Full pages, then the short (here empty) page that tells the connector the scroll is over. */
const PAGES = Math.floor(ACCOUNTS / PAGE_SIZE) + 1;

describe('a run rides out outages and fails fast on a rejected key', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: ACCOUNTS, users: 50, seed: 23 }, pageSize: PAGE_SIZE });
    const connected = await connectPx(stack);
    connectionId = connected.connectionId;
    companySync = await chooseAccountIdKey(stack, connected.companySync);
  });
  afterAll(async () => stack?.stop());

  // Each case starts from an empty Company and a job that has never run, so every run reads and
  // inserts every account.
  beforeEach(async () => {
    await stack.database.sql`delete from company`;
    const reset = await api(stack, 'POST', `/v1/jobs/${companySync.id}/reset-watermark`);
    expect(reset.status, reset.text).toBe(200);
    stack.px!.faults.reset();
    stack.px!.stats.reset();
    // Slow enough pages that a fault lands mid-run rather than after the last page.
    stack.px!.faults.latency(20);
  });

  const expectExactRun = (runId: string): Promise<RunDoc> => expectExactCompanyRun(stack, runId, { accounts: ACCOUNTS, pages: PAGES });

  it('a 30-second source outage mid-run delays the run, which resumes at its last committed page', async () => {
    const runId = await startImportNow(stack, companySync.id);
    const before = await pagesCommitted(stack, runId, 5);
    stack.px!.faults.outage(30_000);
    await expectExactRun(runId);
    expect(before).toBeLessThan(PAGES);
    expect(stack.px!.stats.byStatus['503']).toBeGreaterThan(0);
    expectEachPageReadOnce(stack, '/v1/accounts', PAGES);
  });

  it('a burst of 429s with Retry-After is ridden out', async () => {
    const runId = await startImportNow(stack, companySync.id);
    await pagesCommitted(stack, runId, 5);
    stack.px!.faults.rateLimit(8, { retryAfterSeconds: 1 });
    await expectExactRun(runId);
    expect(stack.px!.stats.byStatus['429']).toBe(8);
    expectEachPageReadOnce(stack, '/v1/accounts', PAGES);
  });

  it('a burst of 429s without Retry-After is ridden out with backoff', async () => {
    const runId = await startImportNow(stack, companySync.id);
    await pagesCommitted(stack, runId, 5);
    stack.px!.faults.rateLimit(8);
    await expectExactRun(runId);
    expect(stack.px!.stats.byStatus['429']).toBe(8);
    expectEachPageReadOnce(stack, '/v1/accounts', PAGES);
  });

  it('the database dropping its connections mid-run delays the run and leaves exact rows and counts', async () => {
    const runId = await startImportNow(stack, companySync.id);
    await pagesCommitted(stack, runId, 5);
    // A connection of its own, so that it is not among those it terminates.
    const admin = postgres(stack.databaseUrl, { max: 1, onnotice: () => undefined });
    let terminated = 0;
    try {
      // A few rounds, so that some land inside a page's transaction rather than between pages.
      for (let round = 0; round < 10; round++) {
        // In the select list, not the where clause, which could run it on this connection too.
        const killed = await admin<{ terminated: boolean }[]>`
          select pg_terminate_backend(pid) as terminated from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`;
        terminated += killed.filter((row) => row.terminated).length;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    } finally {
      await admin.end({ timeout: 5 });
    }
    const run = await expectExactRun(runId);
    expect(terminated).toBeGreaterThan(0);
    // The outage reached the run itself: some activity of it failed and was retried.
    const history = await stack.temporal.client.workflow.getHandle(run.workflowId).fetchHistory();
    const attempts = (history.events ?? []).map((event) => event.activityTaskStartedEventAttributes?.attempt ?? 1);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });

  it('a rejected API key fails the run at once with a message that names the fix', async () => {
    const patched = await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'not-the-key' } });
    expect(patched.status, patched.text).toBe(200);
    try {
      const run = await waitForRun(stack, await startImportNow(stack, companySync.id));
      expect(run.status).toBe('failure');
      expect(run.error?.code).toBe('SOURCE_AUTH_REJECTED');
      expect(run.error?.message).toMatch(/^Gainsight PX rejected the API key \(401\)\. Update the connection's API key/);
      // Asked once: a permanent failure is neither retried by the client nor by Temporal.
      expect(stack.px!.stats.byStatus).toEqual({ 401: 1 });
      const [company] = await stack.database.sql<{ count: number }[]>`select count(*)::int as count from company`;
      expect(company?.count).toBe(0);
    } finally {
      await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } });
    }
  });
});
