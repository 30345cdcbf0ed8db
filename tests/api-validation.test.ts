// Bad input is answered 4xx in one shape, naming the field at fault; never a 5xx. Tokens decide
// who may read and who may write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { ADMIN_TOKEN, api, startStack, VIEWER_TOKEN, type Stack } from './support/stack.js';
import { buildApp } from '../api/app.js';
import { parseApiTokens } from '../config.js';
import { openDatabase } from '../db/client.js';
import { welcomeText, type WelcomeInfo } from '../scripts/welcome.js';
import { connectPx, type JobDoc } from './support/px-flow.js';
import { apiRoutes, fill } from './support/routes.js';

interface ErrorShape {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

function expectErrorShape(body: unknown): asserts body is ErrorShape {
  const { error } = body as ErrorShape;
  expect(typeof error.code).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  expect(Array.isArray(error.details)).toBe(true);
  for (const d of error.details) expect(typeof d.path === 'string' && typeof d.message === 'string').toBe(true);
}

describe('input validation and access', () => {
  let stack: Stack;
  let job: JobDoc;

  /** Sends the call, expects `status` in the error shape with a detail at `path` whose message mentions `mentions`. */
  const refused = async (status: number, method: Method, url: string, body: unknown, path: string, mentions: string[] = []) => {
    const answer = await api<ErrorShape>(stack, method, url, body);
    expect(answer.status, answer.text).toBe(status);
    expectErrorShape(answer.body);
    const detail = answer.body.error.details.find((d) => d.path === path);
    expect(detail, `a detail for ${path} in ${answer.text}`).toBeDefined();
    for (const word of mentions) expect(`${answer.body.error.message} ${detail!.message}`).toContain(word);
    return answer.body;
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 3, users: 3, seed: 1 } });
    ({ companySync: job } = await connectPx(stack));
  });
  afterAll(async () => stack?.stop());

  it('refuses unknown fields, naming them', async () => {
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { name: 'x', colour: 'blue' }, '/colour', ['colour']);
    await refused(400, 'POST', '/v1/connections', { connector: 'gainsight-px', name: 'n', config: {}, extra: true }, '/extra');
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { mappings: [{ source: 'id', target: 'name', upsertKey: false, transform: 'upper' }] }, '/mappings/0/transform');
  });

  it('refuses wrong types, naming the field', async () => {
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { lookbackSeconds: 'ten minutes' }, '/lookbackSeconds', ['integer']);
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { mappings: 'name->name' }, '/mappings', ['array']);
    await refused(400, 'POST', `/v1/jobs/${job.id}/import-from-date`, { from: 'last tuesday' }, '/from', ['date-time']);
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { notifications: { onSuccess: ['not an address'], onFailure: [], webhookUrl: null } }, '/notifications/onSuccess/0', ['email']);
  });

  it('refuses impossible times in a schedule, naming the field', async () => {
    const key = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings: job.mappings.map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' })) });
    expect(key.status).toBe(200);
    await refused(400, 'PUT', `/v1/jobs/${job.id}/schedule`, { frequency: 'daily', daily: { mode: 'once', at: '25:99' } }, '/daily/at', ['25:99']);
    await refused(400, 'PUT', `/v1/jobs/${job.id}/schedule`, { frequency: 'weekly', weekly: { days: ['mon', 'funday'], at: '06:00' } }, '/weekly/days/1', ['mon']);
    await refused(400, 'PUT', `/v1/jobs/${job.id}/schedule`, { frequency: 'daily', timezone: 'Mars/Olympus', daily: { mode: 'once', at: '09:00' } }, '/timezone', ['Mars/Olympus']);
    await refused(400, 'PUT', `/v1/jobs/${job.id}/schedule`, { frequency: 'fortnightly' }, '/frequency', ['hourly', 'daily', 'weekly', 'monthly']);
    expect((await api<JobDoc>(stack, 'GET', `/v1/jobs/${job.id}`)).body.schedule).toBeNull();
  });

  it('refuses unknown filter operators, listing the ones there are', async () => {
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { filters: { conditions: [{ id: 'A', field: 'name', op: 'like', value: 'x%' }] } }, '/filters/conditions/0/op', ['starts_with', 'is_not_null']);
  });

  it('refuses mappings to fields the target object does not have, and lookups into objects that do not exist', async () => {
    const mappings = [...job.mappings, { source: 'plan', target: 'plan_tier', upsertKey: false }];
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { mappings }, `/mappings/${mappings.length - 1}/target`, ['plan_tier', 'company']);
    const derivedMappings = [{ target: 'gsid', object: 'spaceship', match: [{ source: 'id', field: 'px_id' }], onNoMatch: 'error', onMultipleMatches: 'error' }];
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { derivedMappings }, '/derivedMappings/0/object', ['spaceship']);
    const unchanged = await api<JobDoc>(stack, 'GET', `/v1/jobs/${job.id}`);
    expect(unchanged.body.mappings.some((m) => m.target === 'plan_tier')).toBe(false);
  });

  it('answers a body over 1 MB with 413 in the error shape', async () => {
    const answer = await api<ErrorShape>(stack, 'PATCH', `/v1/jobs/${job.id}`, { name: 'x'.repeat(1024 * 1024 + 10) });
    expect(answer.status).toBe(413);
    expectErrorShape(answer.body);
    expect(answer.body.error.code).toBe('payload_too_large');
    expect(answer.body.error.details[0]!.path).toBe('body');
  });

  it('answers malformed JSON with 400 in the error shape', async () => {
    for (const payload of ['{"name": "x"', '{name: x}', 'not json']) {
      const answer = await stack.app.inject({ method: 'PATCH', url: `/v1/jobs/${job.id}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, payload });
      expect(answer.statusCode, payload).toBe(400);
      const body = answer.json<ErrorShape>();
      expectErrorShape(body);
      expect(body.error.code).toBe('malformed_json');
      expect(body.error.details[0]!.path).toBe('body');
    }
  });

  it('answers unknown ids with 404 naming the id', async () => {
    const calls: [Method, string][] = [
      ['GET', '/v1/jobs/job_nope'],
      ['PATCH', '/v1/jobs/job_nope'],
      ['DELETE', '/v1/jobs/job_nope'],
      ['POST', '/v1/jobs/job_nope/import-now'],
      ['GET', '/v1/jobs/job_nope/state'],
      ['GET', '/v1/jobs/job_nope/runs'],
      ['GET', '/v1/connections/job_nope'],
      ['DELETE', '/v1/connections/job_nope'],
      ['POST', '/v1/connections/job_nope/test'],
      ['GET', '/v1/runs/job_nope'],
      ['GET', '/v1/runs/job_nope/errors'],
      ['POST', '/v1/runs/job_nope/cancel'],
      ['GET', '/v1/objects/job_nope/records'],
    ];
    for (const [method, url] of calls) {
      const answer = await api<ErrorShape>(stack, method, url, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(answer.status, `${method} ${url}: ${answer.text}`).toBe(404);
      expectErrorShape(answer.body);
      expect(answer.body.error.message).toContain('job_nope');
    }
  });

  it('refuses cursors it did not hand out', async () => {
    const notANumber = Buffer.from('abc', 'utf8').toString('base64url');
    for (const url of [`/v1/jobs?cursor=%%%`, `/v1/jobs/${job.id}/runs?cursor=${notANumber}`, '/v1/connections?cursor=@@', `/v1/logs?type=audit&cursor=${notANumber}`, '/v1/objects/company/records?cursor=***']) {
      const answer = await api<ErrorShape>(stack, 'GET', url);
      expect(answer.status, `${url}: ${answer.text}`).toBe(400);
      expectErrorShape(answer.body);
      expect(answer.body.error.details.map((d) => d.path)).toContain('querystring/cursor');
    }
    await refused(400, 'GET', '/v1/jobs?limit=lots', undefined, 'querystring/limit', ['integer']);
  });

  it('refuses a NUL character anywhere in the input, naming where (the fuzzer found it reaching PostgreSQL as a 500)', async () => {
    const inQuery = await api<ErrorShape>(stack, 'GET', '/v1/logs?type=audit&jobId=job%00x');
    expect(inQuery.status, inQuery.text).toBe(400);
    expect(inQuery.body.error.details.map((d) => d.path)).toEqual(['querystring/jobId']);
    const inBody = await api<ErrorShape>(stack, 'POST', '/v1/job-chains', { name: 'nul', jobIds: [job.id, 'job\u0000x'], schedule: null });
    expect(inBody.status, inBody.text).toBe(400);
    expect(inBody.body.error.details.map((d) => d.path)).toEqual(['/jobIds/1']);
  });

  it('answers every route with 4xx, never 5xx, for garbage ids, queries and bodies', async () => {
    const routes = apiRoutes(stack.app);
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const url = `${fill(route.url, 'nope\u00e9 x')}?limit=-1&cursor=%00&where=:&type=x`;
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : { zz_unknown: [1, { deep: null }] };
      const answer = await api(stack, route.method as Method, url, body);
      expect(answer.status, `${route.method} ${route.url}: ${answer.text}`).toBeLessThan(500);
      if (answer.status >= 400) expectErrorShape(answer.body);
    }
  });

  it('knows only the objects of the catalogue: constructor, __proto__ or toString is an unknown object (404), never a 500', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const records = await api<ErrorShape>(stack, 'GET', `/v1/objects/${name}/records`);
      expect(records.status, `${name}: ${records.text}`).toBe(404);
      expect(records.body.error.message).toBe(`Object "${name}" does not exist.`);
      expect((await api(stack, 'POST', `/v1/objects/${name}/fields`, { name: 'plan__gc', type: 'string' })).status, name).toBe(404);
    }
    await refused(400, 'PATCH', `/v1/jobs/${job.id}`, { derivedMappings: [{ target: 'company_id', object: 'constructor', match: [{ source: 'id', field: 'name' }] }] }, '/derivedMappings/0/object', ['constructor']);
    const files = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Files', config: {} });
    expect(files.status, files.text).toBe(201);
    const custom = { connectionId: files.body.id, name: 'Odd target', source: { object: 'file' }, mappings: [{ source: 'a', target: 'name', upsertKey: true }] };
    await refused(400, 'POST', '/v1/jobs', { ...custom, target: { object: 'constructor' } }, '/target/object', ['does not exist']);
    await refused(400, 'POST', '/v1/jobs', { ...custom, target: { object: 'company' }, derivedMappings: [{ target: 'name', object: 'hasOwnProperty', match: [{ source: 'a', field: 'name' }] }] }, '/derivedMappings/0/object');
  });

  it('asks for a token: none or an unknown one is 401', async () => {
    const none = await stack.app.inject({ method: 'GET', url: '/v1/jobs' });
    expect(none.statusCode).toBe(401);
    expectErrorShape(none.json());
    const unknown = await api<ErrorShape>(stack, 'GET', '/v1/jobs', undefined, 'not-a-token');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toContain('Bearer');
    const health = await stack.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
  });

  it('accepts exactly the tokens it knows: not a prefix, a longer string, or another case of one', async () => {
    for (const guess of [ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}x`, ADMIN_TOKEN.toUpperCase(), `${VIEWER_TOKEN.slice(0, 10)}${ADMIN_TOKEN.slice(10)}`]) {
      expect((await api(stack, 'GET', '/v1/jobs', undefined, guess)).status, guess).toBe(401);
    }
    expect((await api(stack, 'GET', '/v1/jobs', undefined, ADMIN_TOKEN)).status).toBe(200);
    expect((await api(stack, 'GET', '/v1/jobs', undefined, VIEWER_TOKEN)).status).toBe(200);
  });

  it('will not start with a short or shared token, naming its owner and never the token', async () => {
    expect(() => parseApiTokens('ops:change-me:admin')).toThrow('the token of "ops" is 9 characters long; tokens must have at least 24');
    expect(() => parseApiTokens('ops:change-me:admin')).not.toThrow('change-me');
    expect(() => parseApiTokens(`a:${ADMIN_TOKEN}:admin,b:${ADMIN_TOKEN}:viewer`)).toThrow('gives "a" and "b" the same token');
    expect(() => parseApiTokens('ops:a-token-without-a-role-given-here')).toThrow('API_TOKENS entry 1 ("ops") must be name:token:role');
    expect(parseApiTokens(`ops:${ADMIN_TOKEN}:admin`)).toEqual([{ name: 'ops', token: ADMIN_TOKEN, role: 'admin' }]);
    await expect(buildApp({ ...stack.app.services, tokens: [{ name: 'short', token: 'abc', role: 'admin' }] })).rejects.toThrow('the token of "short" is 3 characters long');
  });

  it('says up or down per dependency on /healthz, without the errors that said why', async () => {
    const database = openDatabase('postgres://postgres@127.0.0.1:1/unreachable');
    const connection = await Connection.lazy({ address: '127.0.0.1:1' });
    const app = await buildApp({ ...stack.app.services, database, temporal: { client: new Client({ connection }), taskQueue: 'nobody-polls' } });
    try {
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toEqual({ status: 'degraded', database: 'down', temporal: 'down' });
      expect(health.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|UNAVAILABLE/);
    } finally {
      await app.close();
      await database.close();
      await connection.close();
    }
    const idle = await buildApp({ ...stack.app.services, temporal: { ...stack.temporal, taskQueue: 'nobody-polls' } });
    const noWorker = await idle.inject({ method: 'GET', url: '/healthz' });
    await idle.close();
    expect(noWorker.statusCode).toBe(503);
    expect(noWorker.json()).toEqual({ status: 'degraded', database: 'ok', temporal: 'no_worker' });
  });

  it('lets a viewer read but answers every write with 403', async () => {
    const routes = apiRoutes(stack.app);
    // A preview writes nothing: a viewer may preview the saved job, not try a draft.
    const preview = '/v1/jobs/:id/preview';
    expect((await api<ErrorShape>(stack, 'POST', fill(preview, job.id), { draft: {} }, VIEWER_TOKEN)).status).toBe(403);
    for (const route of routes.filter((r) => r.method !== 'GET' && r.url !== preview)) {
      const answer = await api<ErrorShape>(stack, route.method as Method, fill(route.url, job.id), route.method === 'DELETE' ? undefined : {}, VIEWER_TOKEN);
      expect(answer.status, `${route.method} ${route.url}`).toBe(403);
      expectErrorShape(answer.body);
    }
    for (const url of ['/v1/jobs', `/v1/jobs/${job.id}`, '/v1/connections', '/v1/logs?type=audit', '/v1/objects']) {
      expect((await api(stack, 'GET', url, undefined, VIEWER_TOKEN)).status, url).toBe(200);
    }
    expect((await api<JobDoc>(stack, 'GET', `/v1/jobs/${job.id}`)).body.name).toBe(job.name);
  });
});

describe('npm run dev', () => {
  const info: WelcomeInfo = {
    base: 'http://localhost:3000',
    temporalUi: 'http://localhost:8233',
    pxSimulator: null,
    demoJob: 'job_1',
    salesforce: null,
    tokens: [{ name: 'ops', token: 'an-operator-token-from-api-tokens', role: 'admin' }],
    generated: false,
    outbound: 'requests may reach 127.0.0.1/32 besides public addresses',
  };

  it('prints the admin token only when it made one, never one that came from API_TOKENS', () => {
    const configured = welcomeText(info);
    expect(configured).not.toContain('an-operator-token-from-api-tokens');
    expect(configured).toContain('API tokens     from API_TOKENS (ops: admin)');
    expect(configured).toContain('Bearer <a token from API_TOKENS>');
    const made = welcomeText({ ...info, tokens: [{ name: 'dev-admin', token: 'dev-made-for-this-start-0123456789', role: 'admin' }], generated: true });
    expect(made).toContain('API token      dev-made-for-this-start-0123456789');
    expect(made).toContain('Bearer dev-made-for-this-start-0123456789');
  });
});
