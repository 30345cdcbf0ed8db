// Where each run starts reading: the watermark of the last good incremental run, minus the lookback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, PX_KEY, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow as triggerAndWait, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';

const ACCOUNTS = 150;
const EPOCH = '1970-01-01T00:00:00.000Z';

interface JobState {
  watermark: string | null;
  running: string | null;
  queued: string[];
}

describe('Watermarks: Import Now reads what changed since the last good run', () => {
  let stack: Stack;
  let job: JobDoc;
  let connectionId: string;

  const state = async () => (await api<JobState>(stack, 'GET', `/v1/jobs/${job.id}/state`)).body;
  const mirrored = async () => {
    const [row] = await stack.database.sql<{ watermark: string | null }[]>`select watermark from job_state where job_id = ${job.id}`;
    return row?.watermark ? new Date(row.watermark).toISOString() : null;
  };
  /** The run row ends a moment before the job workflow has moved (or kept) its watermark. */
  const settled = async (run: RunDoc) => {
    await eventually(`job workflow to finish with ${run.id}`, async () => (await state()).running !== run.id);
    return run;
  };
  const importNow = async (jobId: string) => settled(await triggerAndWait(stack, jobId));
  const shift = (iso: string, seconds: number) => new Date(new Date(iso).getTime() + seconds * 1000).toISOString();

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: ACCOUNTS, users: 20, seed: 5 } });
    const connected = await connectPx(stack);
    connectionId = connected.connectionId;
    job = await chooseAccountIdKey(stack, connected.companySync);
  });
  afterAll(async () => stack?.stop());

  it('the first Import Now reads [1970, now) and sets the watermark to its end', async () => {
    expect((await state()).watermark).toBeNull();
    const before = Date.now();
    const run = await importNow(job.id);
    expect(run.status).toBe('success');
    expect(run.window.from).toBe(EPOCH);
    expect(new Date(run.window.to!).getTime()).toBeGreaterThanOrEqual(before);
    expect(run.window.to! <= new Date().toISOString()).toBe(true);
    expect(run.counts).toMatchObject({ fetched: ACCOUNTS, inserted: ACCOUNTS, failed: 0 });
    expect((await state()).watermark).toBe(run.window.to);
  });

  it('mirrors the watermark to PostgreSQL', async () => {
    const { watermark } = await state();
    expect(watermark).not.toBeNull();
    expect(await mirrored()).toBe(watermark);
  });

  it('a second Import Now reads only the records changed since the watermark, looking back by the lookback', async () => {
    const previous = (await state()).watermark!;
    stack.px!.data.touchAccounts([3, 40, 77]);
    const run = await importNow(job.id);
    expect(run.status).toBe('success');
    expect(run.window.from).toBe(shift(previous, -300));
    expect(run.counts).toMatchObject({ fetched: 3, updated: 3, inserted: 0, failed: 0 });
    const names = await stack.database.sql<{ name: string }[]>`select name from company where px_account_id in ('acc-000003', 'acc-000040', 'acc-000077')`;
    expect(names.map((n) => n.name).every((name) => name.endsWith('(rev 1)'))).toBe(true);
    expect((await state()).watermark).toBe(run.window.to);
    expect(await mirrored()).toBe(run.window.to);
  });

  it('with a lookback of 0 the next Import Now starts exactly at the watermark', async () => {
    const patched = await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { lookbackSeconds: 0 });
    expect(patched.status, patched.text).toBe(200);
    const previous = (await state()).watermark!;
    stack.px!.data.touchAccounts([5]);
    const run = await importNow(job.id);
    expect(run.window.from).toBe(previous);
    expect(run.counts).toMatchObject({ fetched: 1, updated: 1 });
  });

  it('Import From Date reads exactly [from, to) and leaves the watermark where it was', async () => {
    const from = Date.UTC(2024, 5, 1);
    const to = Date.UTC(2024, 8, 1);
    // Records on both edges and just before: `from` is inside the window, `to` is not.
    stack.px!.data.touchAccounts([10], from);
    stack.px!.data.touchAccounts([11], to);
    stack.px!.data.touchAccounts([12], from - 1);
    const expected = [...stack.px!.data.accounts()].filter((a) => a.lastModifiedDate >= from && a.lastModifiedDate < to);
    expect(expected.some((a) => a.id === 'acc-000010')).toBe(true);
    const watermark = (await state()).watermark;

    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/import-from-date`, { from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    expect(triggered.status, triggered.text).toBe(202);
    const run = await settled(await waitForRun(stack, triggered.body.runId));
    expect(run.status).toBe('success');
    expect(run.trigger).toBe('import_from_date');
    expect(run.window).toEqual({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    expect(run.counts.fetched).toBe(expected.length);
    const [edge] = await stack.database.sql<{ name: string }[]>`select name from company where px_account_id = 'acc-000011'`;
    expect(edge?.name.endsWith('(rev 1)')).toBe(false);
    expect((await state()).watermark).toBe(watermark);
    expect(await mirrored()).toBe(watermark);
  });

  it('Import From Date round-trips every year from 1 to 9999 exactly, and refuses the year 0 with a 400', async () => {
    for (const window of [
      { from: '0001-01-01T00:00:00.000Z', to: '0001-01-02T00:00:00.000Z' },
      { from: '0050-06-15T12:30:00.250Z', to: '0099-12-31T23:59:59.999Z' },
      { from: '2024-01-01T00:00:00.000Z', to: '9999-12-31T23:59:59.999Z' },
    ]) {
      const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/import-from-date`, window);
      expect(triggered.status, triggered.text).toBe(202);
      const run = await waitForRun(stack, triggered.body.runId);
      expect(run.window).toEqual(window);
    }
    const refused = await api<{ error: { details: { path: string }[] } }>(stack, 'POST', `/v1/jobs/${job.id}/import-from-date`, { from: '0000-12-31T00:00:00Z' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0]!.path).toBe('/from');
  });

  it('a failed run leaves the watermark where it was', async () => {
    const watermark = (await state()).watermark!;
    const broken = await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'not-the-key' } });
    expect(broken.status, broken.text).toBe(200);
    stack.px!.data.touchAccounts([20]);
    const failed = await importNow(job.id);
    expect(failed.status).toBe('failure');
    expect(failed.error?.code).toBe('SOURCE_AUTH_REJECTED');
    expect(failed.error?.message).toContain('401');
    expect((await state()).watermark).toBe(watermark);
    expect(await mirrored()).toBe(watermark);

    const mended = await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } });
    expect(mended.status, mended.text).toBe(200);
    const retried = await importNow(job.id);
    expect(retried.status).toBe('success');
    expect(retried.window.from).toBe(watermark);
    expect(retried.counts).toMatchObject({ fetched: 1, updated: 1 });
  });

  it('resetting the watermark makes the next Import Now read from 1970 again', async () => {
    const reset = await api<JobState>(stack, 'POST', `/v1/jobs/${job.id}/reset-watermark`);
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body.watermark).toBeNull();
    expect((await state()).watermark).toBeNull();
    expect(await mirrored()).toBeNull();
    const run: RunDoc = await importNow(job.id);
    expect(run.window.from).toBe(EPOCH);
    expect(run.counts).toMatchObject({ fetched: ACCOUNTS, inserted: 0, failed: 0 });
    expect((await state()).watermark).toBe(run.window.to);
  });
});
