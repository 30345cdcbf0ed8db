// Every configuration change leaves an audit trail: who, what, the part that changed, old and new
// values; secrets only ever as "********".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, PX_KEY, startStack, VIEWER_TOKEN, type Stack } from './support/stack.js';
import { connectPx, importNow, type JobDoc } from './support/px-flow.js';

interface AuditItem {
  id: string;
  when: string;
  who: string;
  entity: { type: string; id: string; name: string | null };
  connector: string | null;
  connectionId: string | null;
  jobId: string | null;
  attribute: string;
  subAttribute: string | null;
  action: 'Create' | 'Edit' | 'Delete';
  oldValue: unknown;
  newValue: unknown;
  additionalInfo: string | null;
}

describe('the audit log', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;

  const auditOf = async (query: string) => {
    const page = await api<{ items: AuditItem[] }>(stack, 'GET', `/v1/logs?type=audit&limit=500&${query}`);
    expect(page.status, page.text).toBe(200);
    return page.body.items;
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 5, users: 10, seed: 3 } });
    ({ connectionId, companySync, companyPersonSync } = await connectPx(stack));
  });
  afterAll(async () => stack?.stop());

  it('records a new connection and its out-of-the-box jobs as created by the token owner', async () => {
    const connectionRows = (await auditOf(`connectionId=${connectionId}`)).filter((r) => r.entity.type === 'connection');
    expect(connectionRows.map((r) => r.attribute).sort()).toEqual(['config', 'name']);
    expect(connectionRows.every((r) => r.action === 'Create' && r.who === 'alice' && r.connector === 'gainsight-px')).toBe(true);
    expect(connectionRows.find((r) => r.attribute === 'config')!.newValue).toMatchObject({ apiKey: '********', baseUrl: stack.px!.url });

    for (const job of [companySync, companyPersonSync]) {
      const rows = await auditOf(`jobId=${job.id}`);
      const mappings = rows.find((r) => r.attribute === 'mappings');
      expect(mappings, `${job.name} has a Create row for its mappings`).toMatchObject({ action: 'Create', who: 'alice', connector: 'gainsight-px', entity: { type: 'job', name: job.name } });
      expect(mappings!.newValue).toEqual(job.mappings);
    }
  });

  it("names the mapping's target field as sub-attribute with old and new values when mappings are edited", async () => {
    const before = companySync.mappings;
    const mappings = [
      ...before.filter((m) => m.target !== 'number_of_users').map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' })),
      { source: 'customAttributes.industry', target: 'industry', upsertKey: false },
    ];
    const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { mappings });
    expect(patched.status, patched.text).toBe(200);
    companySync = patched.body;

    const edits = (await auditOf(`jobId=${companySync.id}`)).filter((r) => r.attribute === 'mappings' && r.subAttribute !== null);
    const bySub = new Map(edits.map((r) => [r.subAttribute, r]));
    expect(bySub.get('px_account_id')).toMatchObject({
      who: 'alice',
      action: 'Edit',
      oldValue: { source: 'id', target: 'px_account_id', upsertKey: false },
      newValue: { source: 'id', target: 'px_account_id', upsertKey: true },
    });
    expect(bySub.get('industry')).toMatchObject({ action: 'Create', oldValue: null, newValue: { source: 'customAttributes.industry', target: 'industry' } });
    expect(bySub.get('number_of_users')).toMatchObject({ action: 'Delete', oldValue: { source: 'numberOfUsers', target: 'number_of_users' }, newValue: null });
    expect(bySub.has('name'), 'an unchanged mapping leaves no row').toBe(false);
  });

  it('names each changed notification setting, filter condition and schedule part', async () => {
    const notifications = { onSuccess: ['ops@example.com'], onFailure: [], webhookUrl: null };
    expect((await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { notifications })).status).toBe(200);
    const filters = { conditions: [{ id: 'B', field: 'name', op: 'is_not_null' }], logic: 'B' };
    expect((await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { filters })).status).toBe(200);
    const daily = (at: string) => ({ frequency: 'daily', timezone: 'UTC', daily: { mode: 'once', at } });
    expect((await api(stack, 'PUT', `/v1/jobs/${companySync.id}/schedule`, daily('09:30'))).status).toBe(200);
    expect((await api(stack, 'PUT', `/v1/jobs/${companySync.id}/schedule`, daily('10:45'))).status).toBe(200);
    expect((await api(stack, 'DELETE', `/v1/jobs/${companySync.id}/schedule`)).status).toBe(204);

    const rows = await auditOf(`jobId=${companySync.id}`);
    const find = (attribute: string, subAttribute: string | null, action: string) => rows.find((r) => r.attribute === attribute && r.subAttribute === subAttribute && r.action === action);
    expect(find('notifications', 'onSuccess', 'Edit')).toMatchObject({ oldValue: [], newValue: ['ops@example.com'] });
    expect(rows.some((r) => r.attribute === 'notifications' && r.subAttribute === 'onFailure'), 'an unchanged setting leaves no row').toBe(false);
    expect(find('filters', 'condition B', 'Create')).toMatchObject({ newValue: { id: 'B', field: 'name', op: 'is_not_null' } });
    expect(find('filters', 'logic', 'Edit')).toMatchObject({ oldValue: null, newValue: 'B' });
    expect(find('schedule', null, 'Create')).toMatchObject({ oldValue: null, newValue: { frequency: 'daily', daily: { at: '09:30' } } });
    expect(find('schedule', 'daily', 'Edit')).toMatchObject({ oldValue: { mode: 'once', at: '09:30' }, newValue: { mode: 'once', at: '10:45' } });
    expect(find('schedule', null, 'Delete')).toMatchObject({ oldValue: { daily: { at: '10:45' } }, newValue: null });
  });

  it('records a watermark reset with the watermark it cleared', async () => {
    const run = await importNow(stack, companySync.id);
    expect(run.status).toBe('success');
    expect((await api(stack, 'POST', `/v1/jobs/${companySync.id}/reset-watermark`)).status).toBe(200);
    const rows = await auditOf(`jobId=${companySync.id}`);
    expect(rows.find((r) => r.attribute === 'watermark')).toMatchObject({ who: 'alice', action: 'Delete', oldValue: run.window.to, newValue: null, additionalInfo: 'watermark reset' });
  });

  it('shows a replaced API key only as ******** and never the key itself', async () => {
    const newKey = 'replacement-px-key-4f1c';
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { name: 'PX (renamed)', config: { apiKey: newKey } })).status).toBe(200);
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } })).status).toBe(200);

    const log = await api<{ items: { connectionName: string; user: string; action: string; attribute: string; subAttribute: string | null; oldValue: unknown; newValue: unknown }[] }>(
      stack,
      'GET',
      `/v1/logs?type=connection&connectionId=${connectionId}`,
    );
    expect(log.status, log.text).toBe(200);
    const keyEdits = log.body.items.filter((r) => r.attribute === 'config' && r.subAttribute === 'apiKey' && r.action === 'Edit');
    expect(keyEdits).toHaveLength(2);
    for (const edit of keyEdits) expect(edit).toMatchObject({ user: 'alice', oldValue: '********', newValue: '********' });
    expect(log.body.items.find((r) => r.attribute === 'name' && r.action === 'Edit')).toMatchObject({ connectionName: 'PX (renamed)', oldValue: 'Connect to PX', newValue: 'PX (renamed)' });

    const stored = JSON.stringify(await stack.database.sql`select * from audit_log`);
    expect(stored).not.toContain(newKey);
    expect(stored).not.toContain(PX_KEY);
    expect(log.text).not.toContain(newKey);
  });

  it('records who deleted a job, with what it was', async () => {
    const files = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Files', config: {} });
    const job = await api<JobDoc>(stack, 'POST', '/v1/jobs', { connectionId: files.body.id, name: 'Short-lived', source: { object: 'file' }, target: { object: 'company' }, mappings: [{ source: 'Id', target: 'px_account_id', upsertKey: true }] });
    expect(job.status, job.text).toBe(201);
    expect((await api(stack, 'DELETE', `/v1/jobs/${job.body.id}`)).status).toBe(204);
    const rows = await auditOf(`jobId=${job.body.id}`);
    const deleted = rows.filter((r) => r.action === 'Delete');
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.every((r) => r.who === 'alice')).toBe(true);
    expect(deleted.find((r) => r.attribute === 'name')).toMatchObject({ oldValue: 'Short-lived', newValue: null });
  });

  it('filters by connector and pages newest first without repeating an entry', async () => {
    expect(await auditOf('connector=s3')).toEqual([]);
    const noJobFilter = await api<{ error: { details: { path: string }[] } }>(stack, 'GET', `/v1/logs?type=connection&jobId=${companySync.id}`);
    expect(noJobFilter.status, 'the connection log is not filtered by job').toBe(400);
    expect(noJobFilter.body.error.details[0]!.path).toBe('querystring/jobId');
    const all = await auditOf('connector=gainsight-px');
    expect(all.length).toBeGreaterThan(10);
    const ids = all.map((r) => Number(r.id));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);

    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: AuditItem[]; nextCursor: string | null } } = await api(stack, 'GET', `/v1/logs?type=audit&connector=gainsight-px&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      walked.push(...page.body.items.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(all.map((r) => r.id));
  });

  it('lets a viewer read the log but not change anything', async () => {
    const read = await api(stack, 'GET', '/v1/logs?type=audit', undefined, VIEWER_TOKEN);
    expect(read.status).toBe(200);
    const write = await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { name: 'viewer was here' }, VIEWER_TOKEN);
    expect(write.status).toBe(403);
    expect((await auditOf(`jobId=${companySync.id}`)).some((r) => r.newValue === 'viewer was here')).toBe(false);
  });
});
