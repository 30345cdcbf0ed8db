// The Gainsight PX connection as an admin meets it: one per org, a write-only key, a test that says
// what is wrong, the fields PX describes, and no custom jobs.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PX_REGIONS, PxClient } from '../connectors/gainsight-px/client.js';
import { api, PX_KEY, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc } from './support/px-flow.js';

interface ConnectionDoc {
  id: string;
  config: Record<string, unknown>;
}

interface TestAnswer {
  ok: boolean;
  error?: { code: string; message: string };
}

interface SourceObjectDoc {
  name: string;
  idField: string;
  fields: { name: string; type: string; custom: boolean }[];
}

describe('a Gainsight PX connection', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;

  const patchConfig = (config: Record<string, unknown>) => api<ConnectionDoc>(stack, 'PATCH', `/v1/connections/${connectionId}`, { config });
  const test = () => api<TestAnswer>(stack, 'POST', `/v1/connections/${connectionId}/test`);

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 20, users: 100, seed: 3 } });
    ({ connectionId, companySync, companyPersonSync } = await connectPx(stack));
    companySync = await chooseAccountIdKey(stack, companySync);
  });
  afterAll(async () => stack?.stop());

  it('is the only one: a second PX connection answers 409', async () => {
    const second = await api<{ error: { code: string; message: string } }>(stack, 'POST', '/v1/connections', {
      connector: 'gainsight-px',
      name: 'Another PX',
      config: { apiKey: 'another-key', baseUrl: stack.px!.url },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(connectionId);
    const listed = await api<{ items: ConnectionDoc[] }>(stack, 'GET', '/v1/connections');
    expect(listed.body.items.map((c) => c.id)).toEqual([connectionId]);
  });

  it('never shows the API key: masked on read, kept when a change does not send it', async () => {
    const read = await api<ConnectionDoc>(stack, 'GET', `/v1/connections/${connectionId}`);
    expect(read.body.config.apiKey).toBe('********');
    const listed = await api<{ items: ConnectionDoc[] }>(stack, 'GET', '/v1/connections');
    expect(listed.body.items[0]!.config.apiKey).toBe('********');

    const renamed = await api<ConnectionDoc>(stack, 'PATCH', `/v1/connections/${connectionId}`, { name: 'Connect to PX', config: { region: 'us' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.config.apiKey).toBe('********');
    expect(renamed.text).not.toContain(PX_KEY);
    expect((await test()).body).toEqual({ ok: true });

    // Sending the mask back, as a form that shows it does, keeps the key too.
    expect((await patchConfig({ apiKey: '********' })).status).toBe(200);
    expect((await test()).body).toEqual({ ok: true });

    const log = await api(stack, 'GET', `/v1/logs?type=connection&connectionId=${connectionId}`);
    expect(log.status).toBe(200);
    expect(log.text).not.toContain(PX_KEY);
  });

  it('a test with a wrong key says PX rejected the key (401)', async () => {
    const changed = await patchConfig({ apiKey: 'not-the-key' });
    expect(changed.body.config.apiKey).toBe('********');
    expect(changed.text).not.toContain('not-the-key');
    const tested = await test();
    expect(tested.status).toBe(200);
    expect(tested.body.ok).toBe(false);
    expect(tested.body.error?.code).toBe('SOURCE_AUTH_REJECTED');
    expect(tested.body.error?.message).toContain('Gainsight PX rejected the API key (401)');
  });

  it('a run with a wrong key fails at once, without retrying the rejected key', async () => {
    stack.px!.stats.reset();
    const run = await importNow(stack, companySync.id);
    expect(run.status).toBe('failure');
    expect(run.error?.code).toBe('SOURCE_AUTH_REJECTED');
    expect(run.error?.message).toContain('Gainsight PX rejected the API key (401)');
    expect(stack.px!.stats.byStatus).toEqual({ 401: 1 });

    // The person job does not start when the Company Sync it depends on fails; it says why.
    const dependent = await importNow(stack, companyPersonSync.id);
    expect(dependent.status).toBe('failure');
    expect(dependent.error?.message).toContain(companySync.name);
    expect(dependent.error?.message).toContain('Gainsight PX rejected the API key (401)');
  });

  it('a test against an unreachable host names the host', async () => {
    await patchConfig({ apiKey: PX_KEY, baseUrl: 'http://127.0.0.1:1/v1' });
    const tested = await test();
    expect(tested.body.ok).toBe(false);
    expect(tested.body.error?.code).toBe('SOURCE_UNAVAILABLE');
    expect(tested.body.error?.message).toContain('127.0.0.1:1');
    await patchConfig({ apiKey: PX_KEY, baseUrl: stack.px!.url });
    expect((await test()).body).toEqual({ ok: true });
  });

  it("refuses a baseUrl off Gainsight PX's hosts, naming the setting and what an operator can allow", async () => {
    const refused = await patchConfig({ apiKey: PX_KEY, baseUrl: 'https://collector.attacker.example/v1' });
    expect(refused.status).toBe(400);
    const details = (refused.body as unknown as { error: { details: { path: string; message: string }[] } }).error.details;
    expect(details.map((d) => d.path)).toEqual(['/config/baseUrl']);
    expect(details[0]!.message).toContain('collector.attacker.example is not a Gainsight PX host');
    expect(details[0]!.message).toContain('OUTBOUND_ALLOWED_HOSTS');
    const created = await api(stack, 'POST', '/v1/connections', { connector: 'gainsight-px', name: 'Elsewhere', config: { apiKey: 'k', baseUrl: 'http://169.254.169.254/latest' } });
    expect(created.status).toBe(400);
    expect(created.text).toContain('169.254.169.254 is not a Gainsight PX host');
    expect((await api<ConnectionDoc>(stack, 'GET', `/v1/connections/${connectionId}`)).body.config.baseUrl).toBe(stack.px!.url);
  });

  it('sends the stored key to a new baseUrl only when the key comes with it (400 naming apiKey)', async () => {
    const hits: string[] = [];
    const other = createServer((request, response) => {
      hits.push(String(request.headers['x-aptrinsic-api-key']));
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"stack trace at /srv/app/secret-internal.js"}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v1`;
    try {
      const refused = await patchConfig({ baseUrl: otherUrl });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('/config/apiKey');
      expect(refused.text).toContain('send apiKey again');
      expect((await patchConfig({ baseUrl: otherUrl, apiKey: '********' })).status, 'the mask is not the key').toBe(400);
      expect((await test()).body).toEqual({ ok: true });
      expect(hits).toEqual([]);

      // With the key, the change is the admin's own: the test goes there, and echoes nothing of the answer.
      expect((await patchConfig({ baseUrl: otherUrl, apiKey: 'a-key-for-elsewhere' })).status).toBe(200);
      const tested = await test();
      expect(tested.body.ok).toBe(false);
      expect(tested.body.error?.message).toBe('Gainsight PX rejected the request: it answered 400');
      expect(hits).toEqual(['a-key-for-elsewhere']);
    } finally {
      expect((await patchConfig({ baseUrl: stack.px!.url, apiKey: PX_KEY })).status).toBe(200);
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
    }
    expect((await test()).body).toEqual({ ok: true });
  });

  it('lists account and user fields from PX attribute metadata, custom ones under customAttributes', async () => {
    const objects = await api<{ items: SourceObjectDoc[] }>(stack, 'GET', `/v1/connections/${connectionId}/objects`);
    expect(objects.status, objects.text).toBe(200);
    const fieldsOf = (name: string) => new Map(objects.body.items.find((o) => o.name === name)!.fields.map((f) => [f.name, f]));
    const account = fieldsOf('account');
    const user = fieldsOf('user');
    expect(objects.body.items.map((o) => [o.name, o.idField])).toEqual([['account', 'id'], ['user', 'identifyId']]);

    expect(account.get('name')).toEqual({ name: 'name', type: 'string', custom: false });
    expect(account.get('numberOfUsers')).toEqual({ name: 'numberOfUsers', type: 'number', custom: false });
    expect(account.get('lastModifiedDate')?.type).toBe('datetime');
    expect(account.get('location.countryName')?.type).toBe('string');
    expect(account.get('customAttributes.tier')).toEqual({ name: 'customAttributes.tier', type: 'string', custom: true });
    expect(account.get('customAttributes.seats')).toEqual({ name: 'customAttributes.seats', type: 'number', custom: true });
    expect([...account.keys()].some((name) => name.includes('legacySegment'))).toBe(false);
    expect(account.has('tier')).toBe(false);

    expect(user.get('email')?.custom).toBe(false);
    expect(user.get('accountId')?.type).toBe('string');
    expect(user.get('signUpDate')?.type).toBe('datetime');
    expect(user.get('customAttributes.betaTester')).toEqual({ name: 'customAttributes.betaTester', type: 'boolean', custom: true });
    expect(user.get('customAttributes.score')?.type).toBe('number');
    expect([...user.keys()].some((name) => name.includes('legacyRole'))).toBe(false);
  });

  it('allows no custom jobs: POST /v1/jobs answers 422', async () => {
    const created = await api<{ error: { code: string; message: string } }>(stack, 'POST', '/v1/jobs', {
      connectionId,
      name: 'My own PX job',
      source: { object: 'account' },
      target: { object: 'company' },
      mappings: [{ source: 'id', target: 'px_account_id', upsertKey: true }],
    });
    expect(created.status, created.text).toBe(422);
    expect(created.body.error.code).toBe('custom_jobs_not_allowed');
    expect(created.body.error.message).toContain('Gainsight PX');
  });

  it('keeps multiInstance as chosen at creation, since the jobs were built for it', async () => {
    const refused = await patchConfig({ multiInstance: true });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('multiInstance');
    const read = await api<ConnectionDoc>(stack, 'GET', `/v1/connections/${connectionId}`);
    expect(read.body.config.multiInstance).toBe(false);
    const jobs = await api<{ items: { target: { object: string } }[] }>(stack, 'GET', `/v1/jobs?connectionId=${connectionId}`);
    expect(jobs.body.items.map((j) => j.target.object).sort()).toEqual(['company', 'company_person']);
    expect((await patchConfig({ multiInstance: false })).status).toBe(200);
  });

  it('refuses a region PX does not have, naming the ones it has', async () => {
    const refused = await patchConfig({ region: 'apac' });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('us, eu, us2');
  });
});

describe('PX regions', () => {
  it('each region has its API host, US by default', () => {
    expect(PxClient.baseUrlFor(undefined, undefined)).toBe('https://api.aptrinsic.com/v1');
    expect(PxClient.baseUrlFor('us', undefined)).toBe('https://api.aptrinsic.com/v1');
    expect(PxClient.baseUrlFor('eu', undefined)).toBe('https://api-eu.aptrinsic.com/v1');
    expect(PxClient.baseUrlFor('us2', undefined)).toBe('https://api-us2.aptrinsic.com/v1');
    expect(Object.keys(PX_REGIONS)).toEqual(['us', 'eu', 'us2']);
  });

  it('a baseUrl override wins over the region', () => {
    expect(PxClient.baseUrlFor('eu', 'http://127.0.0.1:4567/v1/')).toBe('http://127.0.0.1:4567/v1');
  });
});
