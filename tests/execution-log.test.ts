// The execution log: every run with its job, status in words, counts, window, duration, error and
// failed-records file; filtered by connector, connection and job; newest first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';

interface ExecutionItem {
  id: string;
  date: string;
  job: { id: string; name: string | null };
  connection: { id: string; name: string | null; connector: string | null } | null;
  callType: string;
  status: string;
  successCount: number;
  failureCount: number;
  counts: RunDoc['counts'];
  trigger: string;
  window: { from: string | null; to: string | null };
  durationSeconds: number | null;
  errorMessage: string | null;
  failedRecordsUrl: string | null;
}

describe('the execution log', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let succeeded: RunDoc;
  let failedRecords: RunDoc;

  const executionLog = async (query = '') => {
    const page = await api<{ items: ExecutionItem[]; nextCursor: string | null }>(stack, 'GET', `/v1/logs?type=execution${query}`);
    expect(page.status, page.text).toBe(200);
    return page.body;
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 12, users: 30, seed: 5 } });
    ({ connectionId, companySync, companyPersonSync } = await connectPx(stack));
    companySync = await chooseAccountIdKey(stack, companySync);
    // Update-only into an empty object: every account is a record error ("no matching record").
    // Import From Date, so the watermark stays for the Import Now after it.
    const updateOnly = await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { modificationType: 'update' });
    expect(updateOnly.status, updateOnly.text).toBe(200);
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${companySync.id}/import-from-date`, { from: '1970-01-01T00:00:00Z' });
    expect(triggered.status, triggered.text).toBe(202);
    failedRecords = await waitForRun(stack, triggered.body.runId);
    expect((await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { modificationType: 'upsert' })).status).toBe(200);
    succeeded = await importNow(stack, companySync.id);
  });
  afterAll(async () => stack?.stop());

  it('shows a successful run with its job, status in words, counts, window and duration', async () => {
    expect(succeeded.status).toBe('success');
    const { items } = await executionLog();
    const item = items.find((i) => i.id === succeeded.id)!;
    expect(item).toMatchObject({
      job: { id: companySync.id, name: 'Company Sync_Connect to PX' },
      connection: { id: connectionId, name: 'Connect to PX', connector: 'gainsight-px' },
      callType: 'APPLICATION_DATA',
      status: 'Success',
      successCount: 12,
      failureCount: 0,
      counts: { fetched: 12, inserted: 12, updated: 0, unchanged: 0, failed: 0 },
      trigger: 'import_now',
      window: succeeded.window,
      errorMessage: null,
      failedRecordsUrl: null,
    });
    expect(item.durationSeconds).toBeGreaterThanOrEqual(0);
  });

  it('links a run with failed records to the CSV of those records', async () => {
    expect(failedRecords.counts.failed).toBe(12);
    const item = (await executionLog()).items.find((i) => i.id === failedRecords.id)!;
    expect(item.failureCount).toBe(12);
    expect(item.successCount).toBe(0);
    expect(['Partial Success', 'Failure']).toContain(item.status);
    expect(item.failedRecordsUrl).toBe(`/v1/runs/${failedRecords.id}/errors`);
    const csv = await api(stack, 'GET', item.failedRecordsUrl!);
    expect(csv.status).toBe(200);
    expect(csv.text.trim().split('\n')).toHaveLength(13);
  });

  it('shows a failed run with the error message a person can act on', async () => {
    const patched = await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'not-the-right-key' } });
    expect(patched.status).toBe(200);
    const failed = await importNow(stack, companySync.id);
    expect(failed.status).toBe('failure');
    const item = (await executionLog()).items[0]!;
    expect(item.id).toBe(failed.id);
    expect(item.status).toBe('Failure');
    expect(item.errorMessage).toBe(failed.error!.message);
    expect(item.errorMessage).toMatch(/401/);
  });

  it('lists runs newest first and pages through them without repeats', async () => {
    const all = (await executionLog('&limit=100')).items;
    expect(all.length).toBe(3);
    const dates = all.map((i) => i.date);
    expect([...dates].sort().reverse()).toEqual(dates);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: ExecutionItem[]; nextCursor: string | null } = await executionLog(`&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual(all.map((i) => i.id));
  });

  it('filters by connector, connection and job', async () => {
    expect((await executionLog('&connector=gainsight-px')).items).toHaveLength(3);
    expect((await executionLog('&connector=bulk-api')).items).toHaveLength(0);
    expect((await executionLog(`&connectionId=${connectionId}`)).items).toHaveLength(3);
    expect((await executionLog('&connectionId=conn_unknown')).items).toHaveLength(0);
    expect((await executionLog(`&jobId=${companySync.id}`)).items).toHaveLength(3);
    expect((await executionLog(`&jobId=${companyPersonSync.id}`)).items).toHaveLength(0);
  });

  it('refuses a missing or unknown log type, naming the types there are', async () => {
    for (const url of ['/v1/logs', '/v1/logs?type=everything']) {
      const refused = await api<{ error: { code: string; message: string; details: { path: string; message: string }[] } }>(stack, 'GET', url);
      expect(refused.status).toBe(400);
      expect(refused.body.error.details[0]!.path).toBe('querystring/type');
      for (const type of ['audit', 'execution', 'connection']) expect(refused.body.error.message).toContain(type);
    }
  });

  it('refuses a cursor it did not hand out, or one from another log', async () => {
    const auditPage = await api<{ nextCursor: string | null }>(stack, 'GET', '/v1/logs?type=audit&limit=1');
    for (const cursor of ['not-a-cursor', auditPage.body.nextCursor!, Buffer.from('2020-01-01|x').toString('base64url')]) {
      const refused = await api<{ error: { details: { path: string }[] } }>(stack, 'GET', `/v1/logs?type=execution&cursor=${cursor}`);
      expect(refused.status, cursor).toBe(400);
      expect(refused.body.error.details[0]!.path).toBe('querystring/cursor');
    }
  });
});
