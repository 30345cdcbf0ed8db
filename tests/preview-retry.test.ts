// See before you write, fix what failed: a preview of the saved job or of a draft writes nothing and
// foretells the run record by record; a retry of failed records, after a fix, lands them without
// reading the source again or moving the watermark; the job's open failures follow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PxUser } from '../connectors/gainsight-px/simulator/index.js';
import { api, VIEWER_TOKEN, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { workflowIds } from '../temporal/names.js';

interface PreviewRecord {
  sourceId: string | null;
  outcome: 'insert' | 'update' | 'unchanged' | 'filtered' | 'fail';
  values?: Record<string, unknown>;
  changes?: { field: string; from: unknown; to: unknown }[];
  filter?: { id: string; field: string }[];
  reason?: string;
}
interface Preview {
  previewId: string;
  workflowId: string;
  draft: boolean;
  summary: Record<string, number>;
  records: PreviewRecord[];
}
interface OpenFailures {
  items: { sourceId: string; reason: string; runId: string; retryable: boolean }[];
  total: number;
  byReason: { reason: string; count: number }[];
}

const EVERYTHING = { from: '1970-01-01T00:00:00.000Z' };

describe('Job preview and retry of failed records', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let people: JobDoc;
  let users: PxUser[];

  const preview = async (job: JobDoc, body: Record<string, unknown>, token?: string) => api<Preview & { error?: { code: string; details: { path: string }[] } }>(stack, 'POST', `/v1/jobs/${job.id}/preview`, body, token);
  const errorsOf = async (runId: string) => stack.database.sql<{ source_id: string; reason: string }[]>`select source_id, reason from run_errors where run_id = ${runId} order by id`;
  const fingerprint = async () => {
    const tables = ['company', 'person', 'company_person', 'runs', 'run_errors', 'job_state', 'open_failures', 'job_previews'];
    const parts: Record<string, string> = {};
    for (const table of tables) {
      const [row] = await stack.database.sql.unsafe<{ digest: string | null; n: number }[]>(`select md5(string_agg(t::text, '|' order by t::text)) as digest, count(*)::int as n from ${table} t`);
      parts[table] = `${row!.n}:${row!.digest}`;
    }
    return parts;
  };
  const state = async (job: JobDoc) => (await api<{ watermark: string | null }>(stack, 'GET', `/v1/jobs/${job.id}/state`)).body;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 30, users: 300, seed: 21 }, pageSize: 50 });
    const connected = await connectPx(stack);
    companySync = await chooseAccountIdKey(stack, connected.companySync);
    people = connected.companyPersonSync;
    users = [...stack.px!.data.users()];
    await importNow(stack, companySync.id);
  });
  afterAll(async () => stack?.stop());

  it('a preview of a draft changes nothing: no row, no run, no watermark; it runs as its own short workflow', async () => {
    const before = await fingerprint();
    const draft = { mappings: people.mappings.filter((m) => m.target !== 'first_name') };
    const answer = await preview(people, { draft, limit: 100 });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.draft).toBe(true);
    expect(answer.body.records).toHaveLength(100);
    expect(answer.body.summary.insert).toBeGreaterThan(0);
    expect(answer.body.records.find((r) => r.outcome === 'insert')!.values).not.toHaveProperty('first_name');
    expect(await fingerprint()).toEqual(before);
    const described = await stack.temporal.client.workflow.getHandle(answer.body.workflowId).describe();
    expect(answer.body.workflowId).toMatch(new RegExp(`^${workflowIds.jobPreview(people.id, 0).replace(/0$/, '')}\\d+$`));
    expect(described.status.name).toBe('COMPLETED');
  });

  it('a draft gets the answers PATCH would give; a viewer may preview the saved job but not a draft', async () => {
    const unknownField = await preview(people, { draft: { mappings: [...people.mappings, { source: 'x', target: 'no_such_field', upsertKey: false }] } });
    expect(unknownField.status).toBe(400);
    const lockedRemoved = await preview(people, { draft: { mappings: people.mappings.filter((m) => m.target !== 'email') } });
    expect(lockedRemoved.status).toBe(409);
    expect((await preview(people, { limit: 0 })).status).toBe(400);
    expect((await preview(people, { limit: 1001 })).status).toBe(400);
    expect((await preview(people, { draft: {} }, VIEWER_TOKEN)).status).toBe(403);
    const saved = await preview(people, { limit: 5 }, VIEWER_TOKEN);
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.draft).toBe(false);
  });

  it("the preview foretells the run record by record: inserts, updates with their changes, unchanged, filtered and failed", async () => {
    await importNow(stack, people.id);
    // Some users change (a new last name), some are new; the rest stay as they were.
    stack.px!.data.touchUsers([2, 40, 90]);
    const added = stack.px!.data.addUsers(4);
    users = [...stack.px!.data.users()];
    const foretold = (await preview(people, { window: EVERYTHING, limit: 1000 })).body;
    expect(foretold.summary.fetched).toBe(users.length);
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${people.id}/import-from-date`, EVERYTHING);
    const run = await waitForRun(stack, triggered.body.runId);
    expect(run.counts).toEqual({
      fetched: foretold.summary.fetched,
      filtered: foretold.summary.filtered,
      inserted: foretold.summary.insert,
      updated: foretold.summary.update,
      unchanged: foretold.summary.unchanged,
      failed: foretold.summary.fail,
    });
    for (const kind of ['insert', 'update', 'unchanged', 'filtered', 'fail']) expect(foretold.summary[kind], kind).toBeGreaterThan(0);

    const failures = await errorsOf(run.id);
    expect(foretold.records.filter((r) => r.outcome === 'fail').map((r) => [r.sourceId, r.reason])).toEqual(failures.map((f) => [f.source_id, f.reason]));
    const filtered = foretold.records.filter((r) => r.outcome === 'filtered');
    expect(filtered.every((r) => r.filter?.[0]?.field === 'email')).toBe(true);
    expect(filtered.map((r) => r.sourceId).sort()).toEqual(users.filter((u) => u.email === undefined).map((u) => u.identifyId).sort());
    const inserted = foretold.records.filter((r) => r.outcome === 'insert').map((r) => r.sourceId);
    expect(inserted.sort()).toEqual(added.map((i) => users[i]!.identifyId).sort());
    for (const index of [2, 40, 90]) {
      const user = users[index]!;
      const update = foretold.records.find((r) => r.sourceId === user.identifyId)!;
      expect(update.outcome).toBe('update');
      expect(update.changes).toContainEqual(expect.objectContaining({ field: 'last_name', to: user.lastName }));
      const [person] = await stack.database.sql<{ last_name: string }[]>`select last_name from person where lower(email) = lower(${user.email!})`;
      expect(person!.last_name).toBe(user.lastName);
    }
  });

  it('a run with failures, a fix, then a retry of its failed records: they land, the watermark stays, the open failures empty', async () => {
    const watermark = (await state(people)).watermark;
    const [latest] = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${people.id}/runs?limit=1`)).body.items;
    const failed = await errorsOf(latest!.id);
    const missing = users.filter((u) => u.accountId?.startsWith('acc-missing-') && u.email !== undefined);
    const noAccount = users.filter((u) => u.accountId === undefined && u.email !== undefined);
    expect(missing.length).toBeGreaterThan(0);
    expect(failed).toHaveLength(missing.length + noAccount.length);

    let open = (await api<OpenFailures>(stack, 'GET', `/v1/jobs/${people.id}/failures`)).body;
    expect(open.total).toBe(failed.length);
    expect(open.byReason).toEqual([{ reason: 'lookup for company_id', count: failed.length }]);

    // The fix: the companies those users name now exist.
    for (const user of missing) {
      await stack.database.sql`insert into company (gsid, name, px_account_id) values (${crypto.randomUUID()}, ${`Found ${user.accountId}`}, ${user.accountId!})`;
    }
    const retried = await api<{ runId: string }>(stack, 'POST', `/v1/runs/${latest!.id}/retry-failed`);
    expect(retried.status, retried.text).toBe(202);
    const retry = await waitForRun(stack, retried.body.runId);
    expect(retry).toMatchObject({ trigger: 'retry_failed', status: 'partial_success' });
    expect((retry as RunDoc & { parentRunId: string }).parentRunId).toBe(latest!.id);
    expect(retry.counts).toMatchObject({ fetched: failed.length, inserted: missing.length, failed: noAccount.length });
    expect((await errorsOf(retry.id)).map((e) => e.source_id).sort()).toEqual(noAccount.map((u) => u.identifyId).sort());
    const landed = await stack.database.sql<{ px_user_id: string }[]>`select cp.px_user_id from company_person cp join company c on c.gsid = cp.company_id where c.px_account_id like 'acc-missing-%'`;
    expect(landed.map((r) => r.px_user_id).sort()).toEqual(missing.map((u) => u.identifyId).sort());
    expect((await state(people)).watermark).toBe(watermark);

    open = (await api<OpenFailures>(stack, 'GET', `/v1/jobs/${people.id}/failures`)).body;
    expect(open.items.map((f) => f.sourceId).sort()).toEqual(noAccount.map((u) => u.identifyId).sort());
    expect(open.items.every((f) => f.runId === retry.id && f.retryable)).toBe(true);

    // All open failures at once: they fail again, and stay open under the new run.
    const again = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${people.id}/retry-failed`);
    expect(again.status, again.text).toBe(202);
    const second = await waitForRun(stack, again.body.runId);
    expect(second.counts).toMatchObject({ fetched: noAccount.length, failed: noAccount.length });
    expect((await api<OpenFailures>(stack, 'GET', `/v1/jobs/${people.id}/failures`)).body.total).toBe(noAccount.length);
    expect((await state(people)).watermark).toBe(watermark);

    // The first run again: what the retries wrote since is left alone (its older copies would
    // overwrite it); only what still fails is taken, from its latest failure.
    const written = await stack.database.sql`select * from company_person order by gsid`;
    const third = await waitForRun(stack, (await api<{ runId: string }>(stack, 'POST', `/v1/runs/${latest!.id}/retry-failed`)).body.runId);
    expect(third.counts).toMatchObject({ fetched: noAccount.length, inserted: 0, updated: 0, failed: noAccount.length });
    expect(await stack.database.sql`select * from company_person order by gsid`).toEqual(written);

    // A filter that now drops those records closes them: they no longer fail, they are not wanted.
    const { conditions, logic } = people.filters;
    const withAccount = { conditions: [...conditions, { id: 'Z', field: 'accountId', op: 'is_not_null' }], logic: logic ? `(${logic}) AND Z` : null };
    expect((await api(stack, 'PATCH', `/v1/jobs/${people.id}`, { filters: withAccount })).status).toBe(200);
    try {
      const dropped = await waitForRun(stack, (await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${people.id}/retry-failed`)).body.runId);
      expect(dropped.counts).toMatchObject({ fetched: noAccount.length, filtered: noAccount.length, failed: 0 });
      expect((await api<OpenFailures>(stack, 'GET', `/v1/jobs/${people.id}/failures`)).body.total).toBe(0);
      // Nothing of the first run fails now: there is nothing left to retry of it.
      const nothing = await api<{ error: { code: string; message: string } }>(stack, 'POST', `/v1/runs/${latest!.id}/retry-failed`);
      expect(nothing.status).toBe(409);
      expect(nothing.body.error.message).toContain('written or filtered out since');
    } finally {
      expect((await api(stack, 'PATCH', `/v1/jobs/${people.id}`, { filters: people.filters })).status).toBe(200);
    }
  });

  it('a preview beside a running run answers at once: it never waits in the job\'s queue; one preview of a job at a time', async () => {
    stack.px!.faults.latency(1_000);
    try {
      const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${people.id}/import-from-date`, EVERYTHING);
      await expect.poll(async () => (await api<RunDoc>(stack, 'GET', `/v1/runs/${triggered.body.runId}`)).body.status, { timeout: 10_000 }).toBe('running');
      const first = preview(people, { limit: 3 });
      // Reading a page takes a second now: the first preview is still reading when the second asks.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await preview(people, { limit: 3 }, VIEWER_TOKEN);
      expect(second.status, second.text).toBe(429);
      expect(second.body.error!.code).toBe('preview_running');
      const answer = await first;
      expect(answer.status, answer.text).toBe(200);
      expect((await api<RunDoc>(stack, 'GET', `/v1/runs/${triggered.body.runId}`)).body.status).toBe('running');
      stack.px!.faults.latency(0);
      await waitForRun(stack, triggered.body.runId);
    } finally {
      stack.px!.faults.reset();
    }
  });

  it('there is nothing to retry for a run without failures, or one still going', async () => {
    const [clean] = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs?limit=1`)).body.items;
    expect(clean!.counts.failed).toBe(0);
    const refused = await api<{ error: { code: string } }>(stack, 'POST', `/v1/runs/${clean!.id}/retry-failed`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('nothing_to_retry');
  });
});
