// Run notifications: mail over a real SMTP server to the success or failure recipients, a signed
// webhook whose URL is kept as a secret, and a mail server that is down never changes or holds up a run.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, PX_KEY, startStack, VIEWER_TOKEN, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc, type RunDoc } from './support/px-flow.js';
import { startMailServer, type MailServer } from './support/mail-server.js';

interface Hook {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The README's recipe for receivers (Notifications), word for word. */
function verified(header: string, rawBody: string, signingKey: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const { t, v1 } = Object.fromEntries(header.split(',').map((part) => part.split('='))) as Record<string, string | undefined>;
  // An old time is a replay of a recorded delivery: refuse it. Retries are signed anew.
  if (!/^\d+$/.test(t ?? '') || Math.abs(now / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', signingKey).update(`${t}.${rawBody}`).digest('hex'));
  const given = Buffer.from(v1 ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Like a Slack webhook, the path carries the credential. */
const HOOK_TOKEN = 'T0KEN-b7e1f0c9d2a4';

const SUCCESS_TO = ['ops@example.com', 'lead@example.com'];
const FAILURE_TO = ['oncall@example.com'];

describe('run notifications', () => {
  let mail: MailServer;
  let hooks: Hook[];
  let hookServer: Server;
  let stack: Stack;
  let connectionId: string;
  let job: JobDoc;
  let webhookUrl: string;
  let hookBase: string;
  let signingKey: string;

  const mailFor = (run: RunDoc) => eventually(`mail about ${run.id}`, async () => mail.received.find((m) => m.text.includes(`/v1/runs/${run.id}`)));
  const deliveries = (runId: string) =>
    stack.database.sql<{ channel: string; recipient: string; status: string; attempts: number; error: string | null }[]>`
      select channel, recipient, status, attempts, error from notification_deliveries where run_id = ${runId} order by id`;

  beforeAll(async () => {
    mail = await startMailServer();
    hooks = [];
    hookServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        hooks.push({ path: request.url!, headers: request.headers, body });
        if (request.url!.startsWith('/fail/')) response.writeHead(500).end('receiver broke');
        else if (request.url!.startsWith('/moved/')) response.writeHead(302, { location: `${hookBase}/ok/elsewhere` }).end();
        else response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    hookBase = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
    webhookUrl = `${hookBase}/ok/${HOOK_TOKEN}`;

    // The test server offers STARTTLS with a self-signed certificate; SMTP_URL's query turns it down.
    stack = await startStack({ px: { accounts: 6, users: 10, seed: 9 }, smtpUrl: `smtp://127.0.0.1:${mail.port}/?ignoreTLS=true` });
    const connected = await connectPx(stack);
    connectionId = connected.connectionId;
    job = await chooseAccountIdKey(stack, connected.companySync);
    const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: SUCCESS_TO, onFailure: FAILURE_TO, webhookUrl } });
    expect(patched.status, patched.text).toBe(200);
    const key = await api<{ signingKey: string }>(stack, 'POST', `/v1/jobs/${job.id}/webhook-signing-key`);
    expect(key.status, key.text).toBe(200);
    signingKey = key.body.signingKey;
  });
  afterAll(async () => {
    await stack?.stop();
    await mail?.stop();
    await new Promise((resolve) => hookServer?.close(resolve));
  });

  it('mails the success recipients the job, status, counts, window and a link to the run', async () => {
    const run = await importNow(stack, job.id);
    expect(run.status).toBe('success');
    const message = await mailFor(run);
    expect(message.to.sort()).toEqual([...SUCCESS_TO].sort());
    expect(message.subject).toContain('Company Sync_Connect to PX');
    expect(message.subject).toContain('Success');
    expect(message.text).toContain('Job: Company Sync_Connect to PX');
    expect(message.text).toContain('Status: Success');
    expect(message.text).toContain('inserted 6');
    expect(message.text).toContain('failed 0');
    expect(message.text).toContain(`Window: ${run.window.from} to ${run.window.to}`);
    expect(message.text).toContain(`/v1/runs/${run.id}`);
    const recorded = await eventually('deliveries recorded', async () => {
      const rows = await deliveries(run.id);
      return rows.length === SUCCESS_TO.length + 1 ? rows : null;
    });
    expect(recorded.map((d) => `${d.channel} ${d.recipient} ${d.status}`).sort()).toEqual([...SUCCESS_TO.map((r) => `email ${r} sent`), `webhook ${hookBase}/******** sent`].sort());
  });

  it("posts the run as JSON to the webhook, signed with the job's own key and the time, as the README tells receivers to check", async () => {
    const hook = await eventually('a webhook call', async () => hooks[0]);
    expect(hook.path).toBe(`/ok/${HOOK_TOKEN}`);
    expect(hook.headers['content-type']).toContain('application/json');
    const payload = JSON.parse(hook.body) as { event: string; run: { runId: string; jobName: string; status: string; counts: { inserted: number }; link: string } };
    expect(payload).toMatchObject({ event: 'run.finished', run: { jobName: 'Company Sync_Connect to PX', status: 'success', counts: { inserted: 6 } } });
    expect(payload.run.link).toContain(`/v1/runs/${payload.run.runId}`);

    const signature = String(hook.headers['x-syncline-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verified(signature, hook.body, signingKey)).toBe(true);
    expect(verified(signature, hook.body.replace('"success"', '"failure"'), signingKey), 'a changed body').toBe(false);
    expect(verified(signature, hook.body, signingKey, 300, Date.now() + 10 * 60_000), 'replayed ten minutes later').toBe(false);
    const t = signature.slice(2, signature.indexOf(','));
    const moved = `t=${Number(t) + 600},${signature.slice(signature.indexOf(',') + 1)}`;
    expect(verified(moved, hook.body, signingKey, 300, Date.now() + 10 * 60_000), 'the time is signed with the body').toBe(false);
    expect(verified(signature, hook.body, 'whsec_another-jobs-key'), "another job's key").toBe(false);
  });

  it('signs for each job with a key of its own, shown to an admin once and replaced on request', async () => {
    expect((await api(stack, 'POST', `/v1/jobs/${job.id}/webhook-signing-key`, undefined, VIEWER_TOKEN)).status).toBe(403);
    const other = (await api<{ items: JobDoc[] }>(stack, 'GET', `/v1/jobs?connectionId=${connectionId}`)).body.items.find((j) => j.id !== job.id)!;
    const noHook = await api<{ error: { code: string } }>(stack, 'POST', `/v1/jobs/${other.id}/webhook-signing-key`);
    expect(noHook.status).toBe(409);
    expect(noHook.body.error.code).toBe('no_webhook');
    expect((await api(stack, 'PATCH', `/v1/jobs/${other.id}`, { notifications: { onSuccess: [], onFailure: [], webhookUrl } })).status).toBe(200);
    const otherKey = (await api<{ signingKey: string }>(stack, 'POST', `/v1/jobs/${other.id}/webhook-signing-key`)).body.signingKey;
    expect(otherKey).toMatch(/^whsec_/);
    expect(otherKey).not.toBe(signingKey);
    expect((await api(stack, 'PATCH', `/v1/jobs/${other.id}`, { notifications: { onSuccess: [], onFailure: [], webhookUrl: null } })).status).toBe(200);
  });

  it('keeps the webhook URL secret: masked for admins and viewers, in the audit log and in delivery records', async () => {
    for (const token of [undefined, VIEWER_TOKEN]) {
      const read = await api<JobDoc & { notifications: { webhookUrl: string } }>(stack, 'GET', `/v1/jobs/${job.id}`, undefined, token);
      expect(read.body.notifications.webhookUrl).toBe(`${hookBase}/********`);
      expect(read.text).not.toContain(HOOK_TOKEN);
    }
    // Sending the masked URL back, as a form showing it would, keeps the URL and its key.
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: SUCCESS_TO, onFailure: FAILURE_TO, webhookUrl: `${hookBase}/********` } })).status).toBe(200);
    // Replaced by another URL on the same host: the masked values match, so the change is named.
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: SUCCESS_TO, onFailure: FAILURE_TO, webhookUrl: `${hookBase}/ok/${HOOK_TOKEN}-2` } })).status).toBe(200);
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: SUCCESS_TO, onFailure: FAILURE_TO, webhookUrl } })).status).toBe(200);
    signingKey = (await api<{ signingKey: string }>(stack, 'POST', `/v1/jobs/${job.id}/webhook-signing-key`)).body.signingKey;
    const audit = await api<{ items: { attribute: string; subAttribute: string | null; oldValue: unknown; newValue: unknown; additionalInfo: string | null }[] }>(
      stack,
      'GET',
      `/v1/logs?type=audit&jobId=${job.id}&limit=500`,
    );
    const replaced = audit.body.items.filter((r) => r.subAttribute === 'webhookUrl' && r.additionalInfo === 'webhook URL replaced; its signing key is new');
    expect(replaced.length).toBeGreaterThanOrEqual(2);
    for (const row of replaced) expect(row).toMatchObject({ attribute: 'notifications', oldValue: `${hookBase}/********`, newValue: `${hookBase}/********` });
    expect(audit.body.items.some((r) => r.subAttribute === 'webhookSigningKey' && r.newValue === '********')).toBe(true);
    expect(audit.text).not.toContain(HOOK_TOKEN);
    const tables = await stack.database.sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
    for (const { table_name } of tables) {
      const rows = await stack.database.sql<{ row: string }[]>`select t::text as row from ${stack.database.sql(table_name)} t`;
      expect(rows.map((r) => r.row).join('\n'), table_name).not.toContain(HOOK_TOKEN);
    }
  });

  it('refuses a webhook URL on a private or metadata address, naming the field and what an operator can allow', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.7:8080/hook', 'http://[::1]:9000/hook']) {
      const refused = await api<{ error: { details: { path: string; message: string }[] } }>(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: [], onFailure: [], webhookUrl: url } });
      expect(refused.status, url).toBe(400);
      expect(refused.body.error.details[0]).toMatchObject({ path: '/notifications/webhookUrl' });
      expect(refused.body.error.details[0]!.message).toContain('OUTBOUND_ALLOWED_NETWORKS');
    }
  });

  it('follows no redirect, and a failing receiver leaves its URL out of the failure Temporal keeps', async () => {
    const movedUrl = `${hookBase}/moved/${HOOK_TOKEN}`;
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: [], onFailure: [], webhookUrl: movedUrl } })).status).toBe(200);
    const moved = await importNow(stack, job.id);
    const redirect = await eventually('the redirect recorded', async () => (await deliveries(moved.id)).find((d) => d.channel === 'webhook'));
    expect(redirect).toMatchObject({ status: 'failed', recipient: `${hookBase}/********`, error: 'answered 302, a redirect, which is not followed' });
    expect(hooks.some((h) => h.path === '/ok/elsewhere')).toBe(false);

    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: [], onFailure: [], webhookUrl: `${hookBase}/fail/${HOOK_TOKEN}` } })).status).toBe(200);
    const failing = await importNow(stack, job.id);
    const failure = await eventually('a retried webhook failure in the activity', async () => {
      const described = await stack.temporal.client.workflow.getHandle(`job:${job.id}`).describe();
      return described.raw.pendingActivities?.find((a) => a.activityType?.name === 'notifyRun' && a.lastFailure)?.lastFailure;
    });
    expect(failure.message).toContain(`${hookBase}/******** (answered 500)`);
    expect(JSON.stringify(failure)).not.toContain(HOOK_TOKEN);
    expect((await deliveries(failing.id)).every((d) => !d.recipient.includes(HOOK_TOKEN))).toBe(true);
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: SUCCESS_TO, onFailure: FAILURE_TO, webhookUrl } })).status).toBe(200);
    signingKey = (await api<{ signingKey: string }>(stack, 'POST', `/v1/jobs/${job.id}/webhook-signing-key`)).body.signingKey;
  });

  it('mails only the failure recipients when a run fails, with the error', async () => {
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'a-revoked-key' } })).status).toBe(200);
    const run = await importNow(stack, job.id);
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } })).status).toBe(200);
    expect(run.status).toBe('failure');
    const message = await mailFor(run);
    expect(message.to).toEqual(FAILURE_TO);
    expect(message.subject).toContain('Failure');
    expect(message.text).toContain(`Error: ${run.error!.message}`);
    expect(mail.received.filter((m) => m.text.includes(`/v1/runs/${run.id}`))).toHaveLength(1);
  });

  it('a mail server that is down neither fails nor holds up the run; the delivery is recorded and retried until it goes through', async () => {
    await mail.stop();
    const run = await importNow(stack, job.id);
    expect(run.status).toBe('success');

    const failed = await eventually('a second failed attempt recorded', async () => {
      const rows = await deliveries(run.id);
      return rows.some((d) => d.channel === 'email' && d.status === 'failed' && d.attempts >= 2) ? rows : null;
    });
    const firstFailure = failed.find((d) => d.channel === 'email' && d.status === 'failed')!;
    expect(firstFailure.error).toMatch(/ECONNREFUSED|connect/i);
    expect(failed.filter((d) => d.channel === 'webhook' && d.status === 'sent'), 'the webhook went out once, not on every retry').toHaveLength(1);

    await mail.restart();
    const message = await mailFor(run);
    expect(message.to.sort()).toEqual([...SUCCESS_TO].sort());
    const final = await eventually('the retried delivery recorded as sent', async () => {
      const rows = await deliveries(run.id);
      return rows.filter((d) => d.channel === 'email' && d.status === 'sent').length === SUCCESS_TO.length ? rows : null;
    });
    expect(Math.min(...final.filter((d) => d.status === 'sent' && d.channel === 'email').map((d) => d.attempts))).toBeGreaterThan(1);
    expect((await api<RunDoc>(stack, 'GET', `/v1/runs/${run.id}`)).body.status).toBe('success');
  });
});
