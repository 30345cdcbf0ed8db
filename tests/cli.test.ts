// The `syncline` command, run as a child process against the API listening on a real port.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, PX_KEY, startStack, VIEWER_TOKEN, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, type JobDoc, type RunDoc } from './support/px-flow.js';
import { plainLine, progressLine, type RunView } from '../cli/progress.js';

const BIN = fileURLToPath(new URL('../bin/syncline.js', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the syncline CLI', () => {
  let stack: Stack;
  let url: string;
  let connectionId: string;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let firstRunId: string;

  const syncline = (args: string[], env: Record<string, string | undefined> = {}) =>
    new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH, SYNCLINE_URL: url, SYNCLINE_TOKEN: ADMIN_TOKEN, SYNCLINE_POLL_MS: '100', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 45, users: 20, seed: 4 }, pageSize: 10 });
    url = await stack.app.listen({ port: 0, host: '127.0.0.1' });
    ({ connectionId, companySync, companyPersonSync } = await connectPx(stack));
  });
  afterAll(async () => stack?.stop());

  it('lists the jobs of a connection, showing which have no upsert key', async () => {
    const result = await syncline(['jobs', '--connection', connectionId]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME/);
    const company = lines.find((l) => l.startsWith(companySync.id))!;
    expect(company).toContain('Company Sync_Connect to PX');
    expect(company).toContain('account -> company');
    expect(company).toContain('(no upsert key)');
    expect(lines.find((l) => l.startsWith(companyPersonSync.id))).toContain('email');
    expect((await syncline(['jobs', '--connection', 'conn_none'])).stdout.trim()).toBe('No jobs.');
  });

  it('runs Import Now and follows it to the end with its counts, exiting 0', async () => {
    companySync = await chooseAccountIdKey(stack, companySync);
    const result = await syncline(['import-now', companySync.id, '--follow']);
    expect(result.code, result.stderr).toBe(0);
    const runId = /^Run (\S+) (running|queued) \(workflow job:/m.exec(result.stdout)?.[1];
    expect(runId, result.stdout).toBeDefined();
    firstRunId = runId!;
    const run = (await api<RunDoc>(stack, 'GET', `/v1/runs/${runId}`)).body;
    expect(run.status).toBe('success');
    expect(result.stdout).toContain(`${runId} success: 45 records, 5 pages`);
    expect(result.stdout).toContain('fetched 45, filtered 0, inserted 45, updated 0, unchanged 0, failed 0');
    expect(result.stdout.trim().split('\n').at(-1)).toBe(`Run ${runId} ended: success`);
    expect(result.stdout, 'no terminal escapes when not on a terminal').not.toContain('\x1b[');
  });

  it("shows a run and a job's state", async () => {
    const shown = await syncline(['run', firstRunId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Run ${firstRunId} (job ${companySync.id}, import_now by alice): success`);
    expect(shown.stdout).toContain('inserted 45');

    const json = await syncline(['run', firstRunId, '--json']);
    expect(JSON.parse(json.stdout)).toEqual((await api(stack, 'GET', `/v1/runs/${firstRunId}`)).body);

    const run = (await api<RunDoc>(stack, 'GET', `/v1/runs/${firstRunId}`)).body;
    const state = await syncline(['state', companySync.id]);
    expect(state.code).toBe(0);
    expect(state.stdout).toContain(`watermark: ${run.window.to}`);
    expect(state.stdout).toContain('running:   -');
  });

  it('runs Import From Date over the window it is given', async () => {
    const result = await syncline(['import-from-date', companySync.id, '--from', '1970-01-01T00:00:00Z', '--follow']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('fetched 45, filtered 0, inserted 0, updated 0, unchanged 45, failed 0');
    expect(result.stdout).toMatch(/ended: success\n$/);
    const refused = await syncline(['import-from-date', companySync.id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--from');
  });

  it('exits 1 with the error when a followed run fails', async () => {
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'revoked-key' } })).status).toBe(200);
    const result = await syncline(['import-now', companySync.id, '--follow']);
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } })).status).toBe(200);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/error: +Gainsight PX rejected the API key \(401\)/);
    expect(result.stdout).toMatch(/ended: failure\n$/);
  });

  it("says what went wrong, in the API's words, when a call is refused", async () => {
    const unknown = await syncline(['state', 'job_nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Job "job_nope" does not exist');
    expect(unknown.stderr).toContain('(404 not_found)');

    const viewer = await syncline(['import-now', companySync.id], { SYNCLINE_TOKEN: VIEWER_TOKEN });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain('viewer token');
    expect((await syncline(['jobs'], { SYNCLINE_TOKEN: VIEWER_TOKEN })).code).toBe(0);

    const noToken = await syncline(['jobs'], { SYNCLINE_TOKEN: undefined });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('SYNCLINE_TOKEN');

    const wrongCommand = await syncline(['import-later', companySync.id]);
    expect(wrongCommand.code).toBe(2);
    expect(wrongCommand.stderr).toContain('Usage: syncline');
  });

  it("lists a job's runs, newest first, filtered by status and trigger", async () => {
    const all = await syncline(['runs', companySync.id]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+TRIGGER\s+ACTOR\s+QUEUED \(UTC\)\s+TOOK\s+FETCHED\s+FAILED\s+WHY$/);
    const ids = lines.slice(1).map((line) => line.split(/\s+/)[0]);
    const runs = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs`)).body.items;
    expect(ids).toEqual(runs.map((r) => r.id));
    expect(lines.find((line) => line.startsWith(`${firstRunId} `))).toMatch(new RegExp(`^${firstRunId}\\s+success\\s+import_now\\s+alice\\s`));
    expect(lines.find((line) => line.includes('failure'))).toContain('Gainsight PX rejected the API key (401)');

    const failed = await syncline(['runs', companySync.id, '--status', 'failure', '--trigger', 'import_now']);
    expect(failed.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[1])).toEqual(['failure']);
    const none = await syncline(['runs', companySync.id, '--from', '2999-01-01T00:00:00Z']);
    expect(none.stdout.trim()).toBe('No runs.');
    const wrong = await syncline(['runs', companySync.id, '--status', 'sleeping']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('querystring/status');
  });

  it("writes a run's failed records as CSV to a file or to stdout", async () => {
    // Update-only into an empty target: every account is a record that fails on its own.
    await stack.database.sql`delete from company`;
    expect((await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { modificationType: 'update' })).status).toBe(200);
    const triggered = await syncline(['import-from-date', companySync.id, '--from', '1970-01-01T00:00:00Z', '--follow']);
    expect((await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { modificationType: 'upsert' })).status).toBe(200);
    expect(triggered.stdout).toMatch(/ended: partial_success\n$/);
    const runId = /^Run (\S+) /m.exec(triggered.stdout)![1]!;

    const out = join(await mkdtemp(join(tmpdir(), 'syncline-cli-')), 'errors.csv');
    const written = await syncline(['errors', runId, '--out', out], { SYNCLINE_TOKEN: VIEWER_TOKEN });
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toContain(`wrote the failed records of ${runId} to ${out}`);
    const csv = await readFile(out, 'utf8');
    const api45 = await stack.app.inject({ method: 'GET', url: `/v1/runs/${runId}/errors`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(csv).toBe(api45.body);
    expect(csv.trim().split('\n')).toHaveLength(1 + 45);
    expect(csv).toContain('no matching record');

    const printed = await syncline(['errors', runId]);
    expect(printed.stdout).toBe(csv);
    const missing = await syncline(['errors', 'job_nope-1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Run "job_nope-1" does not exist');

    // What fails now, then, the job upserting again, those records retried: they land.
    const failing = await syncline(['failures', companySync.id], { SYNCLINE_TOKEN: VIEWER_TOKEN });
    expect(failing.stdout).toMatch(/^45 records fail now:\n\s+45  no matching record\n/);
    const retried = await syncline(['retry-failed', runId, '--follow']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/ended: success\n$/);
    expect((await syncline(['failures', companySync.id])).stdout.trim()).toBe('Nothing fails now.');
  });

  it('previews a draft of a job record by record, writing nothing; a viewer may preview only the saved job', async () => {
    const draft = join(await mkdtemp(join(tmpdir(), 'syncline-cli-')), 'draft.json');
    await writeFile(draft, JSON.stringify({ mappings: companySync.mappings.filter((m) => m.target !== 'name') }));
    const before = (await stack.database.sql<{ n: number }[]>`select count(*)::int as n from runs`)[0]!.n;
    const shown = await syncline(['preview', companySync.id, '--draft', draft, '--limit', '5', '--from', '1970-01-01T00:00:00Z']);
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Preview of the draft over .* nothing was written\.$/);
    expect(lines[1]).toMatch(/^5 read: /);
    expect(lines.slice(3)).toHaveLength(5);
    expect((await stack.database.sql<{ n: number }[]>`select count(*)::int as n from runs`)[0]!.n).toBe(before);
    const refused = await syncline(['preview', companySync.id, '--draft', draft], { SYNCLINE_TOKEN: VIEWER_TOKEN });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('viewer token');
    expect((await syncline(['preview', companySync.id, '--limit', '2'], { SYNCLINE_TOKEN: VIEWER_TOKEN })).code).toBe(0);
    // What would quietly preview something else than asked is refused before any request.
    await writeFile(draft, 'null');
    const notADraft = await syncline(['preview', companySync.id, '--draft', draft]);
    expect(notADraft.code).toBe(2);
    expect(notADraft.stderr).toContain('holds no job fields');
    const toAlone = await syncline(['preview', companySync.id, '--to', '2020-01-01T00:00:00Z']);
    expect(toAlone.code).toBe(2);
    expect(toAlone.stderr).toContain('--to needs --from');
  });

  it('draws a progress bar with records and pages on a terminal', () => {
    const run: RunView = {
      id: 'job_x-1',
      jobId: 'job_x',
      status: 'running',
      trigger: 'import_now',
      window: { from: null, to: null },
      counts: { fetched: 1200, filtered: 0, inserted: 1200, updated: 0, unchanged: 0, failed: 0 },
      progress: { recordsProcessed: 1200, pages: 12 },
      error: null,
      workflowId: 'job:job_x:run:1',
      startedAt: null,
      finishedAt: null,
    };
    const frames = [3, 4].map((frame) => progressLine(run, frame));
    for (const line of frames) expect(line).toMatch(/^\[[= ]{24}\] running +1,200 records, 12 pages$/);
    expect(frames[0]).not.toBe(frames[1]);
    expect(progressLine({ ...run, status: 'success' }, 3)).toMatch(/^\[={24}\] success/);
  });

  it('shows the rate and the elapsed time, and a run waiting on retries says why instead of animating', () => {
    const started = Date.parse('2026-01-01T10:00:00Z');
    const run: RunView = {
      id: 'job_x-2',
      jobId: 'job_x',
      status: 'running',
      trigger: 'import_now',
      window: { from: null, to: null },
      counts: { fetched: 12_000, filtered: 0, inserted: 12_000, updated: 0, unchanged: 0, failed: 0 },
      progress: { recordsProcessed: 12_000, pages: 12 },
      error: null,
      workflowId: 'job:job_x:run:2',
      startedAt: new Date(started).toISOString(),
      finishedAt: null,
    };
    expect(progressLine(run, 1, started + 75_000)).toMatch(/ running +12,000 records, 12 pages, 160 records\/s, 1:15 elapsed$/);
    expect(plainLine(run, started + 75_000)).toBe('2026-01-01T10:01:15.000Z job_x-2 running: 12,000 records, 12 pages, 160 records/s, 1:15 elapsed');
    const waiting = {
      ...run,
      status: 'retrying',
      waiting: { reason: 'source_unavailable', attempt: 8, lastError: { code: 'SOURCE_UNAVAILABLE', message: 'Gainsight PX is unavailable: server error (503)' }, since: new Date(started + 20_000).toISOString(), nextAttemptAt: new Date(started + 120_000).toISOString() },
    };
    const frames = [3, 4].map((frame) => progressLine(waiting, frame, started + 75_000));
    expect(frames[0]).toBe(frames[1]);
    expect(frames[0]).toContain('waiting to retry');
    expect(frames[0]).toMatch(/; waiting 0:55 after 7 failed attempts, attempt 8 in 0:45: Gainsight PX is unavailable: server error \(503\)$/);
  });
});
