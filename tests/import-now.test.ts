// The first slice: connect PX, choose an upsert key, Import Now, and find every account in Company.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc } from './support/px-flow.js';

describe('Import Now moves Gainsight PX accounts into Company', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 2000, users: 100, seed: 11 } });
    ({ companySync, companyPersonSync } = await connectPx(stack));
  });
  afterAll(async () => stack?.stop());

  it('creates the two out-of-the-box jobs named after the connection', () => {
    expect(companySync.name).toBe('Company Sync_Connect to PX');
    expect(companyPersonSync.name).toBe('Company Person Sync_Connect to PX');
    expect(companyPersonSync.dependsOn).toEqual([companySync.id]);
    expect(companySync.mappings.map((m) => `${m.source}->${m.target}`)).toEqual(['name->name', 'numberOfUsers->number_of_users', 'id->px_account_id']);
    expect(companySync.mappings.some((m) => m.upsertKey)).toBe(false);
  });

  it('answers a connection test with ok', async () => {
    const connections = await api<{ items: { id: string }[] }>(stack, 'GET', '/v1/connections');
    const tested = await api(stack, 'POST', `/v1/connections/${connections.body.items[0]!.id}/test`);
    expect(tested.body).toEqual({ ok: true });
  });

  it('refuses Import Now without an upsert key, naming the fix', async () => {
    const refused = await api<{ error: { code: string; message: string } }>(stack, 'POST', `/v1/jobs/${companySync.id}/import-now`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('Company Sync_Connect to PX');
    expect(refused.body.error.message).toContain('upsert key');
  });

  it('lands every one of 2,000 accounts exactly once with its name and user count', async () => {
    await chooseAccountIdKey(stack, companySync);
    const run = await importNow(stack, companySync.id);
    expect(run.status).toBe('success');
    expect(run.counts).toMatchObject({ fetched: 2000, inserted: 2000, failed: 0 });
    expect(run.workflowId).toBe(`job:${companySync.id}:run:1`);

    const rows = await stack.database.sql<{ px_account_id: string; name: string; number_of_users: number | null }[]>`
      select px_account_id, name, number_of_users from company`;
    expect(rows).toHaveLength(2000);
    const byId = new Map(rows.map((r) => [r.px_account_id, r]));
    expect(byId.size).toBe(2000);
    for (const account of stack.px!.data.accounts()) {
      const row = byId.get(account.id);
      expect(row?.name).toBe(account.name);
      expect(row?.number_of_users ?? null).toBe(account.numberOfUsers ?? null);
    }
    const page = await api<{ items: { px_account_id: string }[]; nextCursor: string | null }>(stack, 'GET', '/v1/objects/company/records?limit=5');
    expect(page.body.items).toHaveLength(5);
    expect(page.body.nextCursor).not.toBeNull();
  });

  it('a second Import Now with nothing changed updates nothing', async () => {
    const run = await importNow(stack, companySync.id);
    expect(run.status).toBe('success');
    expect(run.counts.inserted).toBe(0);
    expect(run.counts.updated).toBe(0);
  });
});
