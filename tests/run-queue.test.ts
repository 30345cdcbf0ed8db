// One run per job at a time: triggers queue behind the running run, incremental ones coalesce, and
// any run can be cancelled without losing what it already wrote.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, eventually, startStack, type Stack } from './support/stack.js';
import { MAX_QUEUED_RUNS } from '../workflows/types.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';

const ACCOUNTS = 200;
/** Small pages and a slow source keep a run going long enough to act on it while it runs. */
const PAGE_SIZE = 20;

interface Triggered {
  runId: string;
  status: 'queued' | 'running';
  workflowId: string;
}

interface TimedRun extends RunDoc {
  startedAt: string | null;
  finishedAt: string | null;
  progress: { recordsProcessed: number; pages: number };
}

interface JobState {
  watermark: string | null;
  running: string | null;
  queued: string[];
}

describe('The run queue: one run per job at a time', () => {
  let stack: Stack;
  let job: JobDoc;

  const importNow = async () => {
    const answer = await api<Triggered>(stack, 'POST', `/v1/jobs/${job.id}/import-now`);
    expect(answer.status, answer.text).toBe(202);
    return answer.body;
  };
  const importFromDate = async () => {
    const answer = await api<Triggered>(stack, 'POST', `/v1/jobs/${job.id}/import-from-date`, { from: '2024-01-01T00:00:00.000Z' });
    expect(answer.status, answer.text).toBe(202);
    return answer.body;
  };
  const state = async () => (await api<JobState>(stack, 'GET', `/v1/jobs/${job.id}/state`)).body;
  const run = async (runId: string) => (await api<TimedRun>(stack, 'GET', `/v1/runs/${runId}`)).body;
  const finished = async (runId: string) => (await waitForRun(stack, runId, 60_000)) as TimedRun;
  const idle = () => eventually('the job to have nothing running or queued', async () => {
    const current = await state();
    return current.running === null && current.queued.length === 0;
  });
  const runningNow = (runId: string) => eventually(`run ${runId} to be running`, async () => (await state()).running === runId);
  const expectOneAfterAnother = (runs: TimedRun[]) => {
    const ordered = [...runs].sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    for (let i = 1; i < ordered.length; i++) expect(ordered[i]!.startedAt! >= ordered[i - 1]!.finishedAt!).toBe(true);
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: ACCOUNTS, users: 20, seed: 9 }, pageSize: PAGE_SIZE });
    job = await chooseAccountIdKey(stack, (await connectPx(stack)).companySync);
  });
  beforeEach(async () => {
    stack.px!.faults.reset();
    await idle();
  });
  afterAll(async () => stack?.stop());

  it('a trigger that arrives while a run is going is queued, and the two never run side by side', async () => {
    stack.px!.faults.latency(150);
    const first = await importNow();
    expect(first.status).toBe('running');
    await runningNow(first.runId);
    const second = await importFromDate();
    expect(second.status).toBe('queued');
    expect(second.runId).not.toBe(first.runId);
    expect((await state()).queued).toEqual([second.runId]);
    stack.px!.faults.latency(0);

    const runs = [await finished(first.runId), await finished(second.runId)];
    expect(runs.map((r) => r.status)).toEqual(['success', 'success']);
    expectOneAfterAnother(runs);
  });

  it('Import Now calls sent at the same moment never start two runs side by side', async () => {
    stack.px!.data.touchAccounts([1, 2]);
    const answers = await Promise.all([importNow(), importNow(), importNow()]);
    expect(new Set(answers.filter((a) => a.status === 'running').map((a) => a.runId)).size).toBe(1);
    // One run to start now and at most one pending behind it: incremental triggers coalesce.
    expect(new Set(answers.map((a) => a.runId)).size).toBeLessThanOrEqual(2);
    const runs = await Promise.all([...new Set(answers.map((a) => a.runId))].map(finished));
    expect(runs.every((r) => r.status === 'success')).toBe(true);
    expectOneAfterAnother(runs);
  });

  it('repeated Import Now calls while a run is going coalesce into one pending run', async () => {
    stack.px!.faults.latency(150);
    stack.px!.data.touchAccounts([3, 4, 5]);
    const first = await importNow();
    await runningNow(first.runId);
    const again = [await importNow(), await importNow(), await importNow()];
    expect(again.map((a) => a.status)).toEqual(['queued', 'queued', 'queued']);
    expect(new Set(again.map((a) => a.runId)).size).toBe(1);
    expect(again[0]!.runId).not.toBe(first.runId);
    expect((await state()).queued).toEqual([again[0]!.runId]);
    stack.px!.faults.latency(0);

    const pending = await finished(again[0]!.runId);
    expect(pending.status).toBe('success');
    expect(pending.trigger).toBe('import_now');
    expectOneAfterAnother([await finished(first.runId), pending]);
    const runs = await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${job.id}/runs`);
    expect(runs.body.items.filter((r) => r.id === pending.id || r.id === first.runId)).toHaveLength(2);
  });

  it('cancelling a running run ends it cancelled, keeps what it upserted and leaves the watermark', async () => {
    const watermark = (await state()).watermark;
    expect(watermark).not.toBeNull();
    const everyAccount = Array.from({ length: ACCOUNTS }, (_, i) => i);
    stack.px!.data.touchAccounts(everyAccount);
    stack.px!.faults.latency(150);
    const started = await importNow();
    await eventually('two pages to be committed', async () => (await run(started.runId)).progress.pages >= 2);

    const cancelled = await api<{ status: string }>(stack, 'POST', `/v1/runs/${started.runId}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(202);
    const ended = await finished(started.runId);
    expect(ended.status).toBe('cancelled');
    expect(ended.counts.updated).toBeGreaterThan(0);
    expect(ended.counts.updated).toBeLessThan(ACCOUNTS);
    await idle();

    // What the run committed before it stopped stays: exactly its updated rows carry the new names.
    const names = new Map([...stack.px!.data.accounts()].map((a) => [a.id, a.name]));
    const rows = await stack.database.sql<{ px_account_id: string; name: string }[]>`select px_account_id, name from company`;
    expect(rows.filter((r) => names.get(r.px_account_id) === r.name)).toHaveLength(ended.counts.updated);
    // Nothing was committed to it after it said it ended.
    expect((await run(started.runId)).counts).toEqual(ended.counts);
    expect((await state()).watermark).toBe(watermark);
    const [mirror] = await stack.database.sql<{ watermark: string }[]>`select watermark from job_state where job_id = ${job.id}`;
    expect(new Date(mirror!.watermark).toISOString()).toBe(watermark);
  });

  it('cancelling a queued run removes it from the queue without running it', async () => {
    stack.px!.faults.latency(150);
    stack.px!.data.touchAccounts(Array.from({ length: 60 }, (_, i) => i));
    const first = await importNow();
    await runningNow(first.runId);
    const queued = await importFromDate();
    expect(queued.status).toBe('queued');

    const cancelled = await api(stack, 'POST', `/v1/runs/${queued.runId}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(202);
    const ended = await finished(queued.runId);
    expect(ended.status).toBe('cancelled');
    expect(ended.startedAt).toBeNull();
    expect(ended.counts.fetched).toBe(0);
    expect((await state()).queued).toEqual([]);
    stack.px!.faults.latency(0);
    expect((await finished(first.runId)).status).toBe('success');
  });

  it('cancelling a run that already ended answers 409', async () => {
    const done = await finished((await importNow()).runId);
    const refused = await api<{ error: { code: string; message: string } }>(stack, 'POST', `/v1/runs/${done.id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(done.id);
  });
});

describe('Requests that start runs are bounded and can be retried safely', () => {
  let stack: Stack;
  let job: JobDoc;

  const post = (path: string, body?: unknown, key?: string) =>
    stack.app.inject({
      method: 'POST',
      url: `/v1/jobs/${job.id}/${path}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(key ? { 'idempotency-key': key } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
  const window = (day: number) => ({ from: `2024-01-${String(day).padStart(2, '0')}T00:00:00.000Z`, to: '2024-02-01T00:00:00.000Z' });
  const state = async () => (await api<JobState>(stack, 'GET', `/v1/jobs/${job.id}/state`)).body;
  /** A run of every account that lasts ten seconds or more (ten pages a second apart), so that others queue behind it. */
  const busy = async () => {
    stack.px!.faults.latency(1_000);
    const first = JSON.parse((await post('import-from-date', { from: '1970-01-01T00:00:00.000Z' })).body) as Triggered;
    await eventually(`run ${first.runId} to be running`, async () => (await state()).running === first.runId);
    return first;
  };
  const drain = async () => {
    for (const runId of (await state()).queued) await api(stack, 'POST', `/v1/runs/${runId}/cancel`);
    stack.px!.faults.latency(0);
    await eventually('the job to be idle', async () => {
      const current = await state();
      return current.running === null && current.queued.length === 0;
    });
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 100, users: 10, seed: 9 }, pageSize: 10 });
    job = await chooseAccountIdKey(stack, (await connectPx(stack)).companySync);
  });
  afterAll(async () => stack?.stop());

  it('identical Import From Date windows join one queued run; another window gets a run of its own', async () => {
    await busy();
    const answers = await Promise.all([post('import-from-date', window(1)), post('import-from-date', window(1)), post('import-from-date', window(2))]);
    const runIds = answers.map((a) => (JSON.parse(a.body) as Triggered).runId);
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202]);
    expect(runIds[0]).toBe(runIds[1]);
    expect(runIds[2]).not.toBe(runIds[0]);
    expect((await state()).queued).toHaveLength(2);
    await drain();
  });

  it(`a job holds at most ${MAX_QUEUED_RUNS} waiting runs: one more answers 429, naming the job`, async () => {
    await busy();
    for (let day = 1; day <= MAX_QUEUED_RUNS; day++) expect((await post('import-from-date', window(day))).statusCode).toBe(202);
    const refused = await post('import-from-date', window(MAX_QUEUED_RUNS + 1));
    expect(refused.statusCode).toBe(429);
    const error = (JSON.parse(refused.body) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('queue_full');
    expect(error.message).toContain(job.name);
    expect((await post('import-now')).statusCode).toBe(429);
    // What would join a waiting run is still taken.
    expect((await post('import-from-date', window(3))).statusCode).toBe(202);
    expect((await state()).queued).toHaveLength(MAX_QUEUED_RUNS);
    await drain();
  });

  it('a request sent again with its Idempotency-Key gets the first answer back, not a second run', async () => {
    const first = await post('import-from-date', window(5), 'retry-me-1');
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post('import-from-date', window(5), 'retry-me-1');
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(JSON.parse(again.body)).toEqual(JSON.parse(first.body));
    const runId = (JSON.parse(first.body) as Triggered).runId;
    await waitForRun(stack, runId);
    const later = await post('import-from-date', window(5), 'retry-me-1');
    expect((JSON.parse(later.body) as Triggered).runId).toBe(runId);
    // Sent together, as a client that timed out and retried at once: still one run.
    const together = await Promise.all([post('import-now', undefined, 'retry-me-2'), post('import-now', undefined, 'retry-me-2')]);
    expect(new Set(together.map((a) => (JSON.parse(a.body) as Triggered).runId)).size).toBe(1);
    const [runs] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from runs where job_id = ${job.id} and id = ${runId}`;
    expect(runs!.n).toBe(1);
  });

  it('an Idempotency-Key used for another request is refused with 422; a malformed one with 400', async () => {
    expect((await post('import-from-date', window(6), 'once-only')).statusCode).toBe(202);
    const reused = await post('import-from-date', window(7), 'once-only');
    expect(reused.statusCode).toBe(422);
    expect((JSON.parse(reused.body) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    const malformed = await post('import-now', undefined, 'has spaces in it');
    expect(malformed.statusCode).toBe(400);
    expect((JSON.parse(malformed.body) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('headers/idempotency-key');
  });
});
