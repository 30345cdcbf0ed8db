// The PX client and connector against the simulator: paging to a short page, rate limits and
// outages as retryable errors, a rejected key as a permanent one, and the window pushed down but
// never trusted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES, PxClient } from '../connectors/gainsight-px/client.js';
import { gainsightPx } from '../connectors/gainsight-px/index.js';
import { pushdownFilters } from '../connectors/gainsight-px/pushdown.js';
import { DEFAULT_BASE_TIME, startPxSimulator, type PxSimulator } from '../connectors/gainsight-px/simulator/index.js';
import type { ConnectorContext, ConnectorSession, Window } from '../connectors/types.js';
import { SynclineError } from '../sync/errors.js';
import { LOOPBACK_POLICY, Outbound } from '../services/outbound.js';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc } from './support/px-flow.js';
import { compileFilter } from '../sync/filters.js';
import type { FilterSpec } from '../sync/types.js';

const KEY = 'client-test-key';
const DAY = 24 * 3600 * 1000;
const ALL: Window = { from: new Date(0), to: new Date(DEFAULT_BASE_TIME + DAY) };
const NO_FILTERS: FilterSpec = { conditions: [], logic: null };
/** The simulators listen on 127.0.0.1, which the outbound policy refuses unless allowed. */
const OUTBOUND = new Outbound(LOOPBACK_POLICY);
/** The PX connector keeps no state of its own, so it is lent no database here. */
const CONTEXT = { outbound: OUTBOUND } as ConnectorContext;

const openPx = (url: string): ConnectorSession => gainsightPx.open({ config: { baseUrl: url }, secrets: { apiKey: KEY } }, CONTEXT);

async function failureOf(promise: Promise<unknown>): Promise<SynclineError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SynclineError);
  return error as SynclineError;
}

/** Reads a whole window as the engine does, page by page until the connector says it is done. */
async function readAll(session: ConnectorSession, object: string, window: Window, options: { pageSize?: number; filters?: FilterSpec } = {}) {
  const records: Record<string, unknown>[] = [];
  let cursor: unknown = null;
  let pages = 0;
  do {
    const page = await session.readPage({
      object,
      window,
      cursor,
      filters: options.filters ?? NO_FILTERS,
      options: { pageSize: options.pageSize },
      fields: [],
      run: { id: 'run-1', jobId: 'job-1', trigger: 'import_now' },
    });
    records.push(...page.records);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null);
  return { records, pages };
}

describe('the PX client', () => {
  let sim: PxSimulator;
  let client: PxClient;

  beforeAll(async () => {
    sim = await startPxSimulator({ apiKey: KEY, data: { accounts: 250, users: 60, seed: 5 } });
    client = new PxClient(sim.url, KEY, OUTBOUND);
  });
  afterEach(() => {
    sim.faults.reset();
    sim.stats.reset();
  });
  afterAll(async () => sim?.close());

  it('stops scrolling at a page shorter than asked for, though that page still carries a scrollId', async () => {
    const session = openPx(sim.url);
    const { records, pages } = await readAll(session, 'account', ALL, { pageSize: 100 });
    expect(records.map((r) => r.id)).toEqual([...sim.data.accounts()].map((a) => a.id));
    expect(pages).toBe(3);
    expect(sim.stats.listRequests).toEqual({ '/v1/accounts': 3 });
    let page = await client.list('accounts', { pageSize: 100, scrollId: null, filters: [] });
    page = await client.list('accounts', { pageSize: 100, scrollId: page.scrollId, filters: [] });
    page = await client.list('accounts', { pageSize: 100, scrollId: page.scrollId, filters: [] });
    expect(page.records).toHaveLength(50);
    expect(page.scrollId).not.toBeNull();
  });

  it('reads a page of 1,000 and never asks PX for more than that', async () => {
    const session = openPx(sim.url);
    const users = await readAll(session, 'user', ALL, { pageSize: 5000 });
    expect(users.records).toHaveLength(60);
    expect(sim.stats.lastQuery('/v1/users')?.pageSize).toBe('1000');
    const page = await client.list('users', { pageSize: 1000, scrollId: null, filters: [] });
    expect(page.records).toHaveLength(60);
    expect(page.totalHits).toBe(60);
  });

  it('waits out a 429 with Retry-After and carries on', async () => {
    sim.faults.rateLimit(1, { retryAfterSeconds: 1 });
    const page = await client.list('accounts', { pageSize: 10, scrollId: null, filters: [] });
    expect(page.records).toHaveLength(10);
    expect(sim.stats.byStatus).toEqual({ 200: 1, 429: 1 });
  });

  it('hands a long Retry-After to the run as a retryable error that says how long to wait', async () => {
    sim.faults.rateLimit(1, { retryAfterSeconds: 90 });
    const error = await failureOf(client.list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error.code).toBe('SOURCE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(90_000);
    expect(error.message).toContain('429');
    expect(sim.stats.byStatus).toEqual({ 429: 1 });
  });

  it('backs off from 429s without Retry-After: a few quick retries, then a retryable error', async () => {
    sim.faults.rateLimit(2);
    const page = await client.list('accounts', { pageSize: 10, scrollId: null, filters: [] });
    expect(page.records).toHaveLength(10);
    expect(sim.stats.byStatus).toEqual({ 200: 1, 429: 2 });

    sim.stats.reset();
    sim.faults.rateLimit(10);
    const error = await failureOf(client.list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true, retryAfterMs: undefined });
    expect(error.message).toBe('Gainsight PX is unavailable: rate limit exceeded (429)');
    expect(sim.stats.byStatus).toEqual({ 429: 3 });
  });

  it('treats a server error as retryable', async () => {
    sim.faults.outage(60_000);
    const error = await failureOf(client.list('users', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true });
    expect(error.message).toContain('server error (503)');
  });

  it('treats a host it cannot reach as retryable, naming the host', async () => {
    const unreachable = new PxClient('http://127.0.0.1:1/v1', KEY, OUTBOUND);
    const error = await failureOf(unreachable.list('users', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true });
    expect(error.message).toBe('Gainsight PX is unavailable: could not connect to 127.0.0.1:1');
  });

  it('treats a rejected key (401) as permanent and asks once', async () => {
    const wrong = new PxClient(sim.url, 'wrong-key', OUTBOUND);
    const error = await failureOf(wrong.list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_AUTH_REJECTED', retryable: false });
    expect(error.message).toContain('Gainsight PX rejected the API key (401)');
    expect(sim.stats.byStatus).toEqual({ 401: 1 });
  });
});

describe('the PX client against answers the simulator does not give', () => {
  let server: Server;
  /** 0 never answers. */
  let status = 403;
  let body = '{"message":"no"}';
  let requests = 0;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      if (status === 0) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  );

  it('gives up on a host that does not answer, saying so', async () => {
    status = 0;
    const error = await failureOf(new PxClient(url, KEY, OUTBOUND, 200).probe());
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true });
    expect(error.message).toBe(`Gainsight PX is unavailable: could not connect to ${new URL(url).host}`);
  });

  it('treats 403 (a key without read permission) as permanent', async () => {
    status = 403;
    requests = 0;
    const error = await failureOf(new PxClient(url, KEY, OUTBOUND).list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_AUTH_REJECTED', retryable: false });
    expect(error.message).toContain('(403)');
    expect(requests).toBe(1);
  });

  it('treats a 500 as retryable after its quick retries', async () => {
    status = 500;
    requests = 0;
    const error = await failureOf(new PxClient(url, KEY, OUTBOUND).list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true });
    expect(requests).toBe(3);
  });

  it('tests a connection with one try, so a person is not kept waiting through retries', async () => {
    status = 500;
    requests = 0;
    const error = await failureOf(openPx(url).test());
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    expect(requests).toBe(1);
  });

  it('treats an answer that is not JSON as retryable', async () => {
    status = 200;
    body = 'not json';
    const error = await failureOf(new PxClient(url, KEY, OUTBOUND).list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true });
    expect(error.message).toContain('/accounts could not be read');
    body = '{"message":"no"}';
  });

  it('refuses a page larger than 16 MB, for good, saying to lower the page size (a worker would parse it whole)', async () => {
    status = 200;
    body = JSON.stringify({ accounts: [{ id: 'acc-1', name: 'x'.repeat(MAX_ANSWER_BYTES) }], scrollId: null });
    const error = await failureOf(new PxClient(url, KEY, OUTBOUND).list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_REQUEST_REJECTED', retryable: false });
    expect(error.message).toContain("/accounts is larger than 16 MB; lower the job's pageSize option");
    body = '{"message":"no"}';
  });

  it('repeats nothing of a refused answer but its status', async () => {
    status = 400;
    body = '{"message":"internal-detail-7f3a: ami-id i-0abc"}';
    const error = await failureOf(new PxClient(url, KEY, OUTBOUND).list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_REQUEST_REJECTED', retryable: false });
    expect(error.message).toBe('Gainsight PX rejected the request: it answered 400');
    body = '{"message":"no"}';
  });

  it('never follows a redirect, which could carry the key elsewhere', async () => {
    const target = await startPxSimulator({ apiKey: KEY, data: { accounts: 1, users: 1, seed: 1 } });
    const redirecting = createServer((_req, res) => res.writeHead(307, { location: `${target.url}/accounts?pageSize=1` }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const error = await failureOf(new PxClient(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/v1`, KEY, OUTBOUND).probe());
      expect(error).toMatchObject({ code: 'SOURCE_REQUEST_REJECTED', retryable: false });
      expect(error.message).toContain('307, a redirect, which Syncline does not follow');
      expect(target.stats.listRequests).toEqual({});
    } finally {
      redirecting.closeAllConnections();
      await new Promise((resolve) => redirecting.close(resolve));
      await target.close();
    }
  });

  it("sends the key only to Gainsight PX's documented hosts, unless an operator allows another", async () => {
    const strict = new Outbound({ allowedHosts: [], allowedNetworks: ['127.0.0.1'] });
    requests = 0;
    const error = await failureOf(new PxClient(url, KEY, strict).probe());
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', retryable: false });
    expect(error.message).toContain('127.0.0.1 is not a Gainsight PX host (api.aptrinsic.com, api-eu.aptrinsic.com, api-us2.aptrinsic.com)');
    expect(error.message).toContain('OUTBOUND_ALLOWED_HOSTS');
    expect(requests).toBe(0);
  });

  it('treats a list answer without its records array as retryable, not as an empty page', async () => {
    status = 200;
    const error = await failureOf(new PxClient(url, KEY, OUTBOUND).list('accounts', { pageSize: 10, scrollId: null, filters: [] }));
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', retryable: true });
  });
});

describe('the PX connector objects', () => {
  it('are only its own: constructor or toString is no PX object', () => {
    const session = openPx('http://127.0.0.1:1/v1');
    expect(session.idField('user')).toBe('identifyId');
    for (const name of ['constructor', 'toString', '__proto__']) expect(() => session.idField(name), name).toThrow(`Gainsight PX has no object "${name}"`);
  });
});

describe('the PX connector reading a window', () => {
  let sim: PxSimulator;
  let session: ConnectorSession;
  const window: Window = { from: new Date(DEFAULT_BASE_TIME - 200 * DAY), to: new Date(DEFAULT_BASE_TIME - 100 * DAY) };
  const windowTerms = `lastModifiedDate>=${window.from.getTime()};lastModifiedDate<${window.to.getTime()}`;
  let inWindow: string[];

  beforeAll(async () => {
    sim = await startPxSimulator({ apiKey: KEY, data: { accounts: 400, users: 20, seed: 9 } });
    session = openPx(sim.url);
    inWindow = [...sim.data.accounts()]
      .filter((a) => a.lastModifiedDate >= window.from.getTime() && a.lastModifiedDate < window.to.getTime())
      .map((a) => a.id);
  });
  afterEach(() => {
    sim.faults.reset();
    sim.stats.reset();
  });
  afterAll(async () => sim?.close());

  it('sends the window as a lastModifiedDate filter and gets exactly the window', async () => {
    expect(inWindow.length).toBeGreaterThan(20);
    expect(inWindow.length).toBeLessThan(200);
    const { records } = await readAll(session, 'account', window, { pageSize: 50 });
    expect(records.map((r) => r.id)).toEqual(inWindow);
    expect(sim.stats.queries.every((q) => q.filters.length === 1 && q.filters[0] === windowTerms)).toBe(true);
    expect(sim.stats.queries).toHaveLength(Math.floor(inWindow.length / 50) + 1);
  });

  it('drops the records outside the window that a server ignoring the filter sends', async () => {
    sim.faults.ignoreFilterFields(['lastModifiedDate']);
    const { records } = await readAll(session, 'account', window, { pageSize: 50 });
    expect(records.map((r) => r.id)).toEqual(inWindow);
    // Every account came over the wire: the filter was sent and ignored.
    expect(sim.stats.queries).toHaveLength(400 / 50 + 1);
    expect(sim.stats.queries[0]!.filters).toEqual([windowTerms]);
  });

  it('falls back to a full scan filtered here when the server rejects the filter', async () => {
    sim.faults.rejectFilterFields(['lastModifiedDate']);
    const { records } = await readAll(session, 'account', window, { pageSize: 50 });
    expect(records.map((r) => r.id)).toEqual(inWindow);
    expect(sim.stats.byStatus[400]).toBe(1);
    expect(sim.stats.queries[0]!.filters).toEqual([windowTerms]);
    expect(sim.stats.queries.slice(1).every((q) => q.filters.length === 0)).toBe(true);
  });

  it('pushes a job filter PX can evaluate down with the window, and the result is what the engine keeps', async () => {
    const filters: FilterSpec = { conditions: [{ id: 'A', field: 'industry', op: 'eq', value: 'software' }, { id: 'B', field: 'numberOfEmployees', op: 'gte', value: 100 }], logic: 'A AND B' };
    const keep = compileFilter(filters);
    const expected = [...sim.data.accounts()].filter((a) => inWindow.includes(a.id) && keep(a)).map((a) => a.id);
    expect(expected.length).toBeGreaterThan(0);
    const { records } = await readAll(session, 'account', window, { pageSize: 50, filters });
    expect(records.map((r) => r.id)).toEqual(expected);
    expect(sim.stats.queries[0]!.filters).toEqual([`${windowTerms};industry==software;numberOfEmployees>=100`]);
  });

  it('still reads the right records when PX rejects a pushed-down job filter', async () => {
    sim.faults.rejectFilterFields(['industry']);
    const filters: FilterSpec = { conditions: [{ id: 'A', field: 'industry', op: 'eq', value: 'Software' }], logic: null };
    const keep = compileFilter(filters);
    const { records } = await readAll(session, 'account', window, { pageSize: 50, filters });
    expect(records.filter(keep).map((r) => r.id)).toEqual([...sim.data.accounts()].filter((a) => inWindow.includes(a.id) && keep(a)).map((a) => a.id));
    expect(sim.stats.byStatus[400]).toBe(1);
  });

  it('keeps the users a negated filter keeps, which PX would have dropped for lacking the field', async () => {
    const users = await startPxSimulator({ apiKey: KEY, data: { accounts: 5, users: 100, seed: 9 } });
    try {
      const filters: FilterSpec = { conditions: [{ id: 'A', field: 'accountId', op: 'ne', value: 'acc-000000' }], logic: null };
      const keep = compileFilter(filters);
      const expected = [...users.data.users()].filter(keep).map((u) => u.identifyId);
      expect(expected).toContain('user-0000023');
      const reader = openPx(users.url);
      const { records } = await readAll(reader, 'user', ALL, { filters });
      expect(records.filter(keep).map((r) => r.identifyId)).toEqual(expected);
    } finally {
      await users.close();
    }
  });

  it('pushes down only what PX evaluates as the engine does', () => {
    const only = (condition: FilterSpec['conditions'][number]) => pushdownFilters({ conditions: [condition], logic: null });
    expect(only({ id: 'A', field: 'customAttributes.tier', op: 'eq', value: 'Gold' })).toEqual(['customAttributes.tier==Gold']);
    expect(only({ id: 'A', field: 'name', op: 'starts_with', value: 'Company' })).toEqual(['name~Company*']);
    expect(only({ id: 'A', field: 'email', op: 'contains', value: 'example.com' })).toEqual(['email~*example.com*']);
    // PX leaves out records without the field, the engine keeps them.
    expect(only({ id: 'A', field: 'industry', op: 'ne', value: 'Software' })).toEqual([]);
    // The engine reads this as a date and PX dates are numbers: PX would compare it as text.
    expect(only({ id: 'A', field: 'signUpDate', op: 'gt', value: '2024-01-01' })).toEqual([]);
    // "5.0" equals 5 to the engine but not to PX.
    expect(only({ id: 'A', field: 'sicCode', op: 'eq', value: '64' })).toEqual([]);
    expect(only({ id: 'A', field: 'name', op: 'eq', value: 'a;b' })).toEqual([]);
    expect(only({ id: 'A', field: 'name', op: 'contains', value: 'a*' })).toEqual([]);
    expect(pushdownFilters({ conditions: [{ id: 'A', field: 'plan', op: 'eq', value: 'pro' }, { id: 'B', field: 'plan', op: 'eq', value: 'free' }], logic: 'A OR B' })).toEqual([]);
  });
});

describe('a run over a window, whatever PX does with the window filter', () => {
  let stack: Stack;
  let job: JobDoc;
  const from = new Date(DEFAULT_BASE_TIME - 300 * DAY);
  const to = new Date(DEFAULT_BASE_TIME - 150 * DAY);
  let inWindow: string[];

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 300, users: 20, seed: 13 }, pageSize: 40 });
    job = await chooseAccountIdKey(stack, (await connectPx(stack)).companySync);
    inWindow = [...stack.px!.data.accounts()].filter((a) => a.lastModifiedDate >= from.getTime() && a.lastModifiedDate < to.getTime()).map((a) => a.id);
  });
  afterAll(async () => stack?.stop());

  const importWindow = async () => {
    await stack.database.sql`delete from company`;
    stack.px!.stats.reset();
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/import-from-date`, { from: from.toISOString(), to: to.toISOString() });
    expect(triggered.status, triggered.text).toBe(202);
    const run = await waitForRun(stack, triggered.body.runId);
    const rows = await stack.database.sql<{ px_account_id: string }[]>`select px_account_id from company order by px_account_id`;
    return { run, ids: rows.map((r) => r.px_account_id) };
  };

  it.each([
    ['honours it', () => undefined],
    ['ignores it', () => stack.px!.faults.ignoreFilterFields(['lastModifiedDate'])],
    ['rejects it', () => stack.px!.faults.rejectFilterFields(['lastModifiedDate'])],
  ])('syncs exactly the accounts of the window when PX %s', async (_what, fault) => {
    expect(inWindow.length).toBeGreaterThan(40);
    expect(inWindow.length).toBeLessThan(200);
    stack.px!.faults.reset();
    fault();
    const { run, ids } = await importWindow();
    expect(run.status).toBe('success');
    expect(run.counts).toMatchObject({ fetched: inWindow.length, inserted: inWindow.length, failed: 0 });
    expect(ids).toEqual(inWindow);
    expect(stack.px!.stats.queries[0]!.filters).toEqual([`lastModifiedDate>=${from.getTime()};lastModifiedDate<${to.getTime()}`]);
  });
});
