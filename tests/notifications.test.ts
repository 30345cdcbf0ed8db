// Run notifications: mail over a real SMTP server to the success or failure recipients, a signed
// webhook, and a mail server that is down never changes or holds up a run.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, PX_KEY, SECRET_KEY, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc, type RunDoc } from './support/px-flow.js';
import { startMailServer, type MailServer } from './support/mail-server.js';

interface Hook {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

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
        hooks.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/syncline`;

    // The test server offers STARTTLS with a self-signed certificate; SMTP_URL's query turns it down.
    stack = await startStack({ px: { accounts: 6, users: 10, seed: 9 }, smtpUrl: `smtp://127.0.0.1:${mail.port}/?ignoreTLS=true` });
    const connected = await connectPx(stack);
    connectionId = connected.connectionId;
    job = await chooseAccountIdKey(stack, connected.companySync);
    const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: SUCCESS_TO, onFailure: FAILURE_TO, webhookUrl } });
    expect(patched.status, patched.text).toBe(200);
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
    expect(recorded.map((d) => `${d.channel} ${d.recipient} ${d.status}`).sort()).toEqual([...SUCCESS_TO.map((r) => `email ${r} sent`), `webhook ${webhookUrl} sent`].sort());
  });

  it('posts the run as JSON to the webhook, signed with a key derived from SECRET_KEY', async () => {
    const hook = await eventually('a webhook call', async () => hooks[0]);
    expect(hook.headers['content-type']).toContain('application/json');
    const payload = JSON.parse(hook.body) as { event: string; run: { runId: string; jobName: string; status: string; counts: { inserted: number }; link: string } };
    expect(payload).toMatchObject({ event: 'run.finished', run: { jobName: 'Company Sync_Connect to PX', status: 'success', counts: { inserted: 6 } } });
    expect(payload.run.link).toContain(`/v1/runs/${payload.run.runId}`);

    // What the README tells receivers to do.
    const signingKey = createHmac('sha256', SECRET_KEY).update('webhook').digest('hex');
    const expected = `sha256=${createHmac('sha256', signingKey).update(hook.body).digest('hex')}`;
    expect(hook.headers['x-syncline-signature']).toBe(expected);
    const withRawKey = `sha256=${createHmac('sha256', SECRET_KEY).update(hook.body).digest('hex')}`;
    expect(hook.headers['x-syncline-signature'], 'SECRET_KEY itself is never the signing key').not.toBe(withRawKey);
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
