// Gainsight PX as its guide describes it: the connection always has its two jobs, what they depend
// on is locked, credentials can be tried before a connection exists, a connection's status says what
// its last test or run found, new jobs tell their creator, and the Person Resolution Key is chosen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { api, PX_KEY, startStack, type Stack } from './support/stack.js';
import { importNow, type JobDoc } from './support/px-flow.js';

const ADMIN_WITH_EMAIL = { name: 'nora', token: 'nora-admin-token-with-an-email-7c1e', role: 'admin' as const, email: 'nora@example.com' };

interface ConnectionDoc {
  id: string;
  status: string;
  statusMessage: string | null;
}

describe('The Gainsight PX connector as its guide describes it', () => {
  let stack: Stack;
  let asNora: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let people: JobDoc;

  const patch = (job: JobDoc, body: Record<string, unknown>) => api<JobDoc & { error: { code: string; message: string } }>(asNora, 'PATCH', `/v1/jobs/${job.id}`, body, ADMIN_WITH_EMAIL.token);
  const connection = async () => (await api<ConnectionDoc>(asNora, 'GET', `/v1/connections/${connectionId}`, undefined, ADMIN_WITH_EMAIL.token)).body;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 15, users: 150, seed: 31 } });
    // The same services, with a token that names its owner's email (API_TOKENS name:token:role:email).
    const app = await buildApp({ database: stack.database, temporal: stack.temporal, secrets: stack.secrets, outbound: stack.outbound, tokens: [ADMIN_WITH_EMAIL], publicUrl: 'http://syncline.test' });
    asNora = { ...stack, app };
    const created = await api<{ id: string }>(asNora, 'POST', '/v1/connections', { connector: 'gainsight-px', name: 'PX', config: { apiKey: PX_KEY, baseUrl: stack.px!.url } }, ADMIN_WITH_EMAIL.token);
    expect(created.status, created.text).toBe(201);
    connectionId = created.body.id;
    const jobs = (await api<{ items: JobDoc[] }>(asNora, 'GET', `/v1/jobs?connectionId=${connectionId}`, undefined, ADMIN_WITH_EMAIL.token)).body.items;
    companySync = jobs.find((j) => j.name === 'Company Sync_PX')!;
    people = jobs.find((j) => j.name === 'Company Person Sync_PX')!;
  });
  afterAll(async () => {
    await asNora?.app.close();
    await stack?.stop();
  });

  it('the Person Resolution Key is chosen before the first person (email and a custom field here), then locked', async () => {
    const field = await api(asNora, 'POST', '/v1/objects/person/fields', { name: 'px_user__gc', type: 'string' }, ADMIN_WITH_EMAIL.token);
    expect(field.status, field.text).toBe(201);
    const notAField = await api<{ error: { details: { path: string }[] } }>(asNora, 'PUT', '/v1/objects/person/resolution-key', { fields: ['email', 'no_such__gc'] }, ADMIN_WITH_EMAIL.token);
    expect(notAField.status).toBe(400);
    expect(notAField.body.error.details[0]!.path).toBe('/fields/1');
    const chosen = await api<{ fields: string[]; locked: boolean }>(asNora, 'PUT', '/v1/objects/person/resolution-key', { fields: ['email', 'px_user__gc'] }, ADMIN_WITH_EMAIL.token);
    expect(chosen.status, chosen.text).toBe(200);
    expect(chosen.body).toEqual({ fields: ['email', 'px_user__gc'], locked: false });

    // Company Person Sync must now fill every key field.
    const lacking = await api(asNora, 'POST', `/v1/jobs/${companySync.id}/import-now`, undefined, ADMIN_WITH_EMAIL.token);
    expect(lacking.status).toBe(422);
    expect((await patch(companySync, { mappings: companySync.mappings.map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' })) })).status).toBe(200);
    const unkeyed = await patch(people, { mappings: people.mappings });
    expect(unkeyed.status).toBe(400);
    expect(unkeyed.body.error.message).toContain('map a source field to "px_user__gc"');
    const mapped = await patch(people, { mappings: [...people.mappings, { source: 'identifyId', target: 'px_user__gc', upsertKey: true }] });
    expect(mapped.status, mapped.text).toBe(200);
    people = mapped.body;

    const run = await importNow(stack, people.id);
    expect(run.status).toBe('partial_success');
    // One person per email *and* PX user: users that share an email stay apart.
    const users = [...stack.px!.data.users()];
    const companies = new Set([...stack.px!.data.accounts()].map((a) => a.id));
    const linked = users.filter((u) => u.email !== undefined && u.accountId !== undefined && companies.has(u.accountId));
    const [persons] = await stack.database.sql<{ n: number; emails: number }[]>`select count(*)::int as n, count(distinct lower(email))::int as emails from person`;
    expect(persons!.n).toBe(linked.length);
    expect(persons!.emails).toBeLessThan(linked.length);
    expect(run.counts.inserted).toBe(linked.length);

    const locked = await api<{ error: { code: string } }>(asNora, 'PUT', '/v1/objects/person/resolution-key', { fields: ['email'] }, ADMIN_WITH_EMAIL.token);
    expect(locked.status).toBe(409);
    expect(locked.body.error.code).toBe('person_key_locked');
    expect((await api<{ locked: boolean }>(asNora, 'GET', '/v1/objects/person/resolution-key', undefined, ADMIN_WITH_EMAIL.token)).body.locked).toBe(true);
  });

  it('its out-of-the-box jobs cannot be deleted: 409 saying how to stop them instead', async () => {
    const refused = await api<{ error: { code: string; message: string } }>(asNora, 'DELETE', `/v1/jobs/${people.id}`, undefined, ADMIN_WITH_EMAIL.token);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('out_of_the_box');
    expect(refused.body.error.message).toContain('schedule');
    // Company Sync is also in use: Company Person Sync depends on it, which is said first.
    const inUse = await api<{ error: { code: string } }>(asNora, 'DELETE', `/v1/jobs/${companySync.id}`, undefined, ADMIN_WITH_EMAIL.token);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe('job_in_use');
    const jobs = (await api<{ items: JobDoc[] }>(asNora, 'GET', `/v1/jobs?connectionId=${connectionId}`, undefined, ADMIN_WITH_EMAIL.token)).body.items;
    expect(jobs.map((j) => j.name).sort()).toEqual(['Company Person Sync_PX', 'Company Sync_PX']);
  });

  it('every lock holds: the email key, the email filter, the company lookup, and the px_account_id mapping that lookup needs', async () => {
    const refusals = [
      await patch(people, { mappings: people.mappings.filter((m) => m.target !== 'email') }),
      await patch(people, { filters: { conditions: [], logic: null } }),
      await patch(people, { derivedMappings: [] }),
      await patch(companySync, { mappings: companySync.mappings.filter((m) => m.target !== 'px_account_id') }),
      await patch(companySync, { mappings: companySync.mappings.map((m) => (m.target === 'px_account_id' ? { ...m, source: 'name' } : m)) }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([409, 409, 409, 409, 409]);
    expect(refusals.every((r) => r.body.error.code === 'locked')).toBe(true);
    expect(refusals[3]!.body.error.message).toContain('Company Person Sync_PX');
    // Optional mappings may go, and px_account_id may stop being the upsert key.
    const emptied = await patch(companySync, { mappings: companySync.mappings.filter((m) => m.target === 'px_account_id').map((m) => ({ ...m, upsertKey: true })) });
    expect(emptied.status, emptied.text).toBe(200);
  });

  it('tries credentials before a connection exists, storing nothing', async () => {
    const count = async () => (await stack.database.sql<{ n: number }[]>`select count(*)::int as n from connections`)[0]!.n;
    const before = await count();
    const good = await api(asNora, 'POST', '/v1/connections/test', { connector: 'gainsight-px', config: { apiKey: PX_KEY, baseUrl: stack.px!.url } }, ADMIN_WITH_EMAIL.token);
    expect(good.body).toEqual({ ok: true });
    const bad = await api<{ ok: boolean; error: { code: string; message: string } }>(asNora, 'POST', '/v1/connections/test', { connector: 'gainsight-px', config: { apiKey: 'not-the-key', baseUrl: stack.px!.url } }, ADMIN_WITH_EMAIL.token);
    expect(bad.body).toMatchObject({ ok: false, error: { code: 'SOURCE_AUTH_REJECTED' } });
    const invalid = await api<{ error: { details: { path: string }[] } }>(asNora, 'POST', '/v1/connections/test', { connector: 'gainsight-px', config: { baseUrl: stack.px!.url } }, ADMIN_WITH_EMAIL.token);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details[0]!.path).toBe('/config/apiKey');
    expect(await count()).toBe(before);
  });

  it("a connection's status follows its tests and runs: error with the reason, active again once it works; the connection log says so", async () => {
    expect((await connection()).status).toBe('active');
    expect((await api(asNora, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'a-revoked-key' } }, ADMIN_WITH_EMAIL.token)).status).toBe(200);
    const tested = await api<{ ok: boolean }>(asNora, 'POST', `/v1/connections/${connectionId}/test`, undefined, ADMIN_WITH_EMAIL.token);
    expect(tested.body.ok).toBe(false);
    expect(await connection()).toMatchObject({ status: 'error', statusMessage: expect.stringContaining('rejected the API key') });
    const failed = await importNow(stack, companySync.id);
    expect(failed.error?.code).toBe('SOURCE_AUTH_REJECTED');
    expect((await connection()).status).toBe('error');

    expect((await api(asNora, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } }, ADMIN_WITH_EMAIL.token)).status).toBe(200);
    const ran = await importNow(stack, companySync.id);
    expect(ran.status).toBe('success');
    expect(await connection()).toMatchObject({ status: 'active', statusMessage: null });
    const log = await api<{ items: { attribute: string; oldValue: unknown; newValue: unknown; user: string }[] }>(asNora, 'GET', `/v1/logs?type=connection&connectionId=${connectionId}`, undefined, ADMIN_WITH_EMAIL.token);
    const moves = log.body.items.filter((r) => r.attribute === 'status').map((r) => [r.oldValue, r.newValue]);
    expect(moves).toEqual([['error', 'active'], ['active', 'error']]);
  });

  it("new jobs tell their creator: the token's email is their recipients' default", async () => {
    expect(companySync.notifications).toEqual({ onSuccess: [ADMIN_WITH_EMAIL.email], onFailure: [ADMIN_WITH_EMAIL.email], webhookUrl: null });
    const files = await api<{ id: string }>(asNora, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Files', config: {} }, ADMIN_WITH_EMAIL.token);
    const job = await api<JobDoc>(asNora, 'POST', '/v1/jobs', { connectionId: files.body.id, name: 'Mine', source: { object: 'file' }, target: { object: 'company' }, mappings: [{ source: 'Id', target: 'px_account_id', upsertKey: true }] }, ADMIN_WITH_EMAIL.token);
    expect(job.body.notifications).toEqual({ onSuccess: [ADMIN_WITH_EMAIL.email], onFailure: [ADMIN_WITH_EMAIL.email], webhookUrl: null });
    // A token without an email leaves them empty.
    const bare = await api<JobDoc>(stack, 'POST', '/v1/jobs', { connectionId: files.body.id, name: 'Theirs', source: { object: 'file' }, target: { object: 'company' }, mappings: [{ source: 'Id', target: 'px_account_id', upsertKey: true }] });
    expect(bare.body.notifications).toEqual({ onSuccess: [], onFailure: [], webhookUrl: null });
  });
});
