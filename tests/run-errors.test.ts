// A run's failed records as CSV: streamed from the database in batches, and a download a client
// abandons halfway gives its database connection back.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, startStack, type Stack } from './support/stack.js';
import { waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { uploadFile } from './support/files.js';

const FAILED = 5_000;

describe("a run's failed records", () => {
  let stack: Stack;
  let run: RunDoc;
  let address: string;

  beforeAll(async () => {
    stack = await startStack({ px: false });
    const connection = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Files', config: {} });
    const job = await api<JobDoc>(stack, 'POST', '/v1/jobs', {
      connectionId: connection.body.id,
      name: 'Accounts',
      source: { object: 'file' },
      target: { object: 'company' },
      mappings: [
        { source: 'Account Id', target: 'px_account_id', upsertKey: true },
        { source: 'Employees', target: 'employees' },
      ],
    });
    const lines = Array.from({ length: FAILED }, (_, i) => `acc-${i},not a number ${'.'.repeat(100)}`);
    const uploaded = await uploadFile(stack, job.body.id, ['Account Id,Employees', ...lines].join('\n'));
    run = await waitForRun(stack, uploaded.body.runId, 60_000);
    address = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => stack?.stop());

  it('downloads every failed record, with its reason and source record', async () => {
    expect(run.counts.failed).toBe(FAILED);
    const answer = await fetch(`${address}/v1/runs/${run.id}/errors`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(answer.headers.get('content-type')).toContain('text/csv');
    const text = await answer.text();
    expect(text.trim().split('\n')).toHaveLength(FAILED + 1);
    expect(text).toContain('expected a number');
  });

  it('a client that disconnects mid-download gives the database connection back: twenty of them later, the API still answers', async () => {
    // More abandoned downloads than the pool has connections (10): a leaked one each would hang the API.
    for (let i = 0; i < 20; i++) await abandonDownload(`${address}/v1/runs/${run.id}/errors`);
    const started = Date.now();
    const answer = await api<RunDoc>(stack, 'GET', `/v1/runs/${run.id}`);
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    const held = await stack.database.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`;
    expect(held[0]!.n).toBe(0);
  }, 30_000);
});

/** Reads the first bytes of a download, then drops the connection as a closed browser tab does. */
function abandonDownload(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      res.once('data', () => {
        req.destroy();
        // Give the server a moment to notice the closed socket.
        setTimeout(resolve, 100);
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
    req.end();
  });
}
