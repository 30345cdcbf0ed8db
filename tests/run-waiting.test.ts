// A run that waits on an outage says so while it waits (status retrying, why, which attempt, when
// the next starts) wherever a person looks, and says afterwards how long it waited; each failed
// attempt is one log line with its reason.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, api, eventually, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc } from './support/px-flow.js';
import { pagesCommitted, startImportNow } from './support/run-checks.js';
import { startMailServer, type MailServer } from './support/mail-server.js';
import { consolePage, consoleSession } from './support/console.js';
import { describeRun, progressLine, type RunView } from '../cli/progress.js';

interface Waiting {
  reason: string;
  attempt: number;
  lastError: { code: string; message: string };
  since: string;
  nextAttemptAt: string | null;
}
type Run = RunView & { status: string; waiting: Waiting | null; waited: { outages: number; seconds: number; failedAttempts: number; lastError: { code: string; message: string } } | null };

describe('a run that waits on an outage', () => {
  let stack: Stack;
  let mail: MailServer;
  let job: JobDoc;
  let runId: string;
  let during: Run;
  const logged: string[] = [];

  beforeAll(async () => {
    mail = await startMailServer();
    stack = await startStack({ px: { accounts: 600, users: 20, seed: 31 }, pageSize: 50, smtpUrl: `smtp://127.0.0.1:${mail.port}/?ignoreTLS=true` });
    const connected = await connectPx(stack);
    job = await chooseAccountIdKey(stack, connected.companySync);
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: ['ops@example.com'], onFailure: [], webhookUrl: null } })).status).toBe(200);
    // The worker's log, as it reaches stderr.
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await stack?.stop();
    await mail?.stop();
  });

  it('reads retrying while the source is down: why, since when, which attempt and when the next starts, in the API, its lists, the CLI and the console', async () => {
    stack.px!.faults.latency(20);
    runId = await startImportNow(stack, job.id);
    await pagesCommitted(stack, runId, 2);
    stack.px!.faults.outage(9_000);
    during = await eventually(
      'the run to wait on its third attempt',
      async () => {
        const run = (await api<Run>(stack, 'GET', `/v1/runs/${runId}`)).body;
        return run.status === 'retrying' && run.waiting && run.waiting.attempt >= 3 ? run : null;
      },
      30_000,
    );
    expect(during.waiting).toMatchObject({ reason: 'source_unavailable', lastError: { code: 'SOURCE_UNAVAILABLE', message: 'Gainsight PX is unavailable: server error (503)' } });
    expect(Date.parse(during.waiting!.since)).toBeLessThan(Date.now());
    if (during.waiting!.nextAttemptAt) expect(Date.parse(during.waiting!.nextAttemptAt)).toBeGreaterThan(Date.parse(during.waiting!.since));

    const retrying = await api<{ items: Run[] }>(stack, 'GET', `/v1/runs?status=retrying&jobId=${job.id}`);
    expect(retrying.body.items.map((r) => r.id)).toEqual([runId]);
    expect(retrying.body.items[0]!.waiting).toMatchObject({ reason: 'source_unavailable', lastError: { code: 'SOURCE_UNAVAILABLE' } });
    expect((await api<{ items: Run[] }>(stack, 'GET', `/v1/jobs/${job.id}/runs?status=running`)).body.items).toEqual([]);

    const cli = describeRun(during, 'http://syncline.test').join('\n');
    expect(cli).toMatch(/retrying: waiting \d+:\d\d after \d+ failed attempts, attempt \d+ (in \d+:\d\d|running): Gainsight PX is unavailable: server error \(503\)/);
    expect(progressLine(during, 0)).toContain('waiting to retry');

    const panel = await consolePage(stack, await consoleSession(stack, ADMIN_TOKEN), `/console/runs/${runId}/panel`);
    expect(panel.status).toBe(200);
    expect(panel.body).toContain('Waiting on the source');
    expect(panel.body).toContain('Gainsight PX is unavailable: server error (503)');
    expect(panel.body).toContain('hx-trigger="every 2s"');
  });

  it('after the source is back, ends success and says how long it waited, in the API, the execution log and the notification', async () => {
    const run = (await waitForRun(stack, runId, 120_000)) as unknown as Run;
    expect(run.status).toBe('success');
    expect(run.waiting).toBeNull();
    expect(run.waited).toMatchObject({ outages: 1, lastError: { code: 'SOURCE_UNAVAILABLE', message: 'Gainsight PX is unavailable: server error (503)' } });
    expect(run.waited!.failedAttempts).toBeGreaterThanOrEqual(during.waiting!.attempt - 1);
    // The outage lasted 9 s from when the first attempt failed (within its quick retries) to the page after it.
    expect(run.waited!.seconds).toBeGreaterThan(3);
    expect(run.waited!.seconds).toBeLessThan(60);

    const log = await api<{ items: { id: string; waitedMessage: string | null; status: string }[] }>(stack, 'GET', `/v1/logs?type=execution&jobId=${job.id}`);
    expect(log.body.items.find((i) => i.id === runId)!.waitedMessage).toMatch(/^Waited \d+ s on an outage \(\d+ failed attempts\); last error: Gainsight PX is unavailable: server error \(503\)$/);

    const sent = await eventually('the success mail', async () => mail.received.find((m) => m.text.includes(`/console/runs/${runId}`)));
    expect(sent.text).toMatch(/Waited \d+ s on an outage \(\d+ failed attempts\); last error: Gainsight PX is unavailable/);
  });

  it('logs each failed attempt once, as one line with its reason and no stack trace', () => {
    const lines = logged
      .join('')
      .split('\n')
      .filter((line) => line.includes(`"workflowId":"${during.workflowId}"`) && line.includes('"activityType":"syncPages"'));
    const failures = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'Activity failed');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const entry of failures) {
      expect(entry).toMatchObject({ level: 'warn', code: 'SOURCE_UNAVAILABLE', reason: 'Gainsight PX is unavailable: server error (503)' });
      expect(JSON.stringify(entry)).not.toContain('stack');
    }
    // One per attempt: attempt numbers 1, 2, 3 … each once.
    expect(failures.map((entry) => entry.attempt)).toEqual(failures.map((_, i) => i + 1));
  });
});
