// What tests of retries and crashes check after a run: every account landed exactly once, and no
// page was read from the source twice.
import { expect } from 'vitest';
import { api, eventually, type Stack } from './stack.js';
import { waitForRun, type RunDoc } from './px-flow.js';

export async function startImportNow(stack: Stack, jobId: string): Promise<string> {
  const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${jobId}/import-now`);
  expect(triggered.status, triggered.text).toBe(202);
  return triggered.body.runId;
}

/** Waits until the run has committed at least `pages` pages; answers how many it has. */
export async function pagesCommitted(stack: Stack, runId: string, pages: number, timeoutMs = 60_000): Promise<number> {
  return eventually(
    `run ${runId} to commit ${pages} pages`,
    async () => {
      const [run] = await stack.database.sql<{ pages: number }[]>`select pages from runs where id = ${runId}`;
      return run && run.pages >= pages ? run.pages : null;
    },
    timeoutMs,
  );
}

/**
 * A Company Sync that rode out a fault ended as if nothing happened: success, exact counts, every
 * account once, and every page committed once.
 */
export async function expectExactCompanyRun(stack: Stack, runId: string, expected: { accounts: number; pages: number }): Promise<RunDoc> {
  const run = await waitForRun(stack, runId, 120_000);
  expect(run.status, JSON.stringify(run.error)).toBe('success');
  expect(run.counts).toEqual({ fetched: expected.accounts, filtered: 0, inserted: expected.accounts, updated: 0, unchanged: 0, failed: 0 });
  await expectEveryAccountOnce(stack);
  const [row] = await stack.database.sql<{ pages: number }[]>`select pages from runs where id = ${runId}`;
  expect(row?.pages).toBe(expected.pages);
  return run;
}

/** Company holds each PX account once, by its id, with its name. */
export async function expectEveryAccountOnce(stack: Stack): Promise<void> {
  const rows = await stack.database.sql<{ px_account_id: string; name: string }[]>`select px_account_id, name from company`;
  const accounts = [...stack.px!.data.accounts()];
  expect(rows).toHaveLength(accounts.length);
  const byId = new Map(rows.map((row) => [row.px_account_id, row.name]));
  expect(byId.size).toBe(accounts.length);
  for (const account of accounts) expect(byId.get(account.id), account.id).toBe(account.name);
}

/**
 * The simulator records successful list reads only (a 503 or 429 is answered before the listing),
 * so a run that resumed at its last committed page read each scroll position exactly once.
 */
export function expectEachPageReadOnce(stack: Stack, path: string, pages: number): void {
  const reads = stack.px!.stats.queries.filter((query) => query.path === path);
  expect(reads.filter((query) => query.scrollId === null)).toHaveLength(1);
  expect(new Set(reads.map((query) => query.scrollId)).size).toBe(reads.length);
  expect(reads).toHaveLength(pages);
}
