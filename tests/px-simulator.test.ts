import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PxDataset, startPxSimulator, type PxAccount, type PxAttribute, type PxSimulator, type PxUser,
} from '../connectors/gainsight-px/simulator/index.js';

const API_KEY = 'test-px-key';

interface ListBody<T> {
  totalHits: number;
  scrollId: string;
  accounts?: T[];
  users?: T[];
}

type Query = Record<string, string | number | readonly string[]>;

function urlOf(sim: PxSimulator, path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [String(value)]) params.append(name, item);
  }
  const search = params.toString();
  return `${sim.url}${path}${search === '' ? '' : `?${search}`}`;
}

function get(sim: PxSimulator, path: string, query: Query = {}, apiKey: string | null = API_KEY): Promise<Response> {
  return fetch(urlOf(sim, path, query), { headers: apiKey === null ? {} : { 'X-APTRINSIC-API-KEY': apiKey } });
}

async function getJson<T>(sim: PxSimulator, path: string, query: Query = {}): Promise<T> {
  const response = await get(sim, path, query);
  expect(response.status, `${path} ${JSON.stringify(query)}`).toBe(200);
  return (await response.json()) as T;
}

async function list<T>(sim: PxSimulator, object: 'accounts' | 'users', query: Query): Promise<{ records: T[]; body: ListBody<T> }> {
  const body = await getJson<ListBody<T>>(sim, `/${object}`, query);
  return { records: body[object] ?? [], body };
}

/** Scrolls to the end the way a client must: until a page is shorter than pageSize. */
async function scrollAll<T>(sim: PxSimulator, object: 'accounts' | 'users', query: Query, pageSize = 1000): Promise<{ records: T[]; pages: ListBody<T>[] }> {
  const records: T[] = [];
  const pages: ListBody<T>[] = [];
  let scrollId: string | undefined;
  for (;;) {
    const page = await list<T>(sim, object, { ...query, pageSize, ...(scrollId === undefined ? {} : { scrollId }) });
    records.push(...page.records);
    pages.push(page.body);
    if (page.records.length < pageSize) return { records, pages };
    scrollId = page.body.scrollId;
  }
}

async function control(sim: PxSimulator, path: string, body: unknown): Promise<Response> {
  return fetch(sim.url.replace(/\/v1$/, `/__sim${path}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the PX simulator', () => {
  let sim: PxSimulator;

  beforeAll(async () => {
    sim = await startPxSimulator({ apiKey: API_KEY, data: { accounts: 100, users: 2500, seed: 7 } });
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.faults.reset();
  });

  describe('authentication', () => {
    it('answers 401 without an API key', async () => {
      const response = await get(sim, '/users', {}, null);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ externalapierror: { status: 401, message: 'Unauthorized or bad API Key' } });
    });

    it('answers 401 with a wrong API key', async () => {
      expect((await get(sim, '/accounts', {}, 'not-the-key')).status).toBe(401);
    });

    it('serves the API with the right X-APTRINSIC-API-KEY', async () => {
      expect((await get(sim, '/accounts')).status).toBe(200);
    });
  });

  describe('paging', () => {
    it('pageSize 1000 over 2,500 users returns every user exactly once, and the last page still has a scrollId', async () => {
      const { records, pages } = await scrollAll<PxUser>(sim, 'users', {});
      expect(pages.map((page) => (page.users ?? []).length)).toEqual([1000, 1000, 500]);
      expect(pages.every((page) => page.totalHits === 2500)).toBe(true);
      const ids = records.map((user) => user.identifyId);
      expect(new Set(ids).size).toBe(2500);
      expect(ids).toEqual([...sim.data.users()].map((user) => user.identifyId));
      expect(pages.at(-1)?.scrollId).toMatch(/.+/);
    });

    it('pageSize defaults to 25', async () => {
      expect((await list(sim, 'accounts', {})).records).toHaveLength(25);
    });

    it('pageSize 0 and 1001 answer 400', async () => {
      expect((await get(sim, '/users', { pageSize: 0 })).status).toBe(400);
      expect((await get(sim, '/users', { pageSize: 1001 })).status).toBe(400);
      expect((await get(sim, '/users', { pageSize: 'ten' })).status).toBe(400);
    });

    it('a scrollId asked twice returns the same page', async () => {
      const first = await list<PxUser>(sim, 'users', { pageSize: 50, filter: 'type==USER' });
      const again = await list<PxUser>(sim, 'users', { pageSize: 50, filter: 'type==USER', scrollId: first.body.scrollId });
      const replay = await list<PxUser>(sim, 'users', { pageSize: 50, filter: 'type==USER', scrollId: first.body.scrollId });
      expect(again.records).toHaveLength(50);
      expect(replay.records).toEqual(again.records);
      expect(replay.body.scrollId).toBe(again.body.scrollId);
    });

    it('a scrollId with another filter or sort, or one made up, answers 400', async () => {
      const first = await list(sim, 'users', { pageSize: 10, filter: 'type==USER' });
      expect((await get(sim, '/users', { pageSize: 10, filter: 'type==LEAD', scrollId: first.body.scrollId })).status).toBe(400);
      expect((await get(sim, '/users', { pageSize: 10, filter: 'type==USER', sort: 'email', scrollId: first.body.scrollId })).status).toBe(400);
      expect((await get(sim, '/accounts', { pageSize: 10, filter: 'type==USER', scrollId: first.body.scrollId })).status).toBe(400);
      expect((await get(sim, '/users', { scrollId: 'not-a-scroll-id' })).status).toBe(400);
    });

    it('a scroll in index order neither skips nor repeats records touched behind it', async () => {
      const first = await list<PxUser>(sim, 'users', { pageSize: 100, filter: 'type==USER' });
      sim.data.touchUsers([0, 1, 2], sim.data.baseTime + 1);
      const second = await list<PxUser>(sim, 'users', { pageSize: 100, filter: 'type==USER', scrollId: first.body.scrollId });
      const lastOfFirst = Number(first.records.at(-1)?.identifyId.slice(5));
      expect(Number(second.records[0]?.identifyId.slice(5))).toBeGreaterThan(lastOfFirst);
    });
  });

  describe('filters', () => {
    it('== on email ignores case, and so finds both spellings of a duplicated address', async () => {
      const original = sim.data.user(11).email ?? '';
      expect(sim.data.user(12).email).toBe(original.toUpperCase());
      const { records } = await list<PxUser>(sim, 'users', { filter: `email==${original.toUpperCase()}` });
      expect(records.map((user) => user.identifyId)).toEqual(['user-0000011', 'user-0000012']);
    });

    it('; ANDs the terms of a filter', async () => {
      const { records } = await scrollAll<PxUser>(sim, 'users', { filter: 'type==USER;location.countryCode==us' });
      const expected = [...sim.data.users()].filter((user) => user.type === 'USER' && user.location.countryCode === 'US');
      expect(records.map((user) => user.id)).toEqual(expected.map((user) => user.id));
      expect(records.length).toBeGreaterThan(0);
    });

    it('repeating the filter parameter ORs the groups', async () => {
      const { records } = await scrollAll<PxUser>(sim, 'users', { filter: ['type==LEAD', 'type==VISITOR'] });
      const expected = [...sim.data.users()].filter((user) => user.type !== 'USER');
      expect(records.map((user) => user.id)).toEqual(expected.map((user) => user.id));
      expect(new Set(records.map((user) => user.type))).toEqual(new Set(['LEAD', 'VISITOR']));
    });

    it('~ matches * and ? wildcards over the whole value, and !~ excludes what ~ matches', async () => {
      const question = await list<PxUser>(sim, 'users', { filter: 'identifyId~USER-000001?', pageSize: 100 });
      expect(question.records.map((user) => user.id)).toEqual(Array.from({ length: 10 }, (_, i) => `user-00000${10 + i}`));
      const star = await scrollAll<PxAccount>(sim, 'accounts', { filter: 'name~company 00000* *' });
      expect(star.records.map((account) => account.id)).toEqual(Array.from({ length: 10 }, (_, i) => `acc-00000${i}`));
      const negated = await list(sim, 'accounts', { filter: 'name!~company 00000* *', pageSize: 1 });
      expect(negated.body.totalHits).toBe(90);
    });

    it('numbers compare as numbers, and <= is not read as <', async () => {
      const { records } = await scrollAll<PxAccount>(sim, 'accounts', { filter: 'numberOfEmployees<=1000;numberOfEmployees>99' });
      const expected = [...sim.data.accounts()].filter((account) => account.numberOfEmployees <= 1000 && account.numberOfEmployees > 99);
      expect(records.map((account) => account.id)).toEqual(expected.map((account) => account.id));
      expect(records.length).toBeGreaterThan(0);
    });

    it('dotted fields reach into location and customAttributes', async () => {
      const { records } = await scrollAll<PxAccount>(sim, 'accounts', { filter: 'customAttributes.internalId==100042' });
      expect(records.map((account) => account.id)).toEqual(['acc-000042']);
      const city = await scrollAll<PxUser>(sim, 'users', { filter: 'location.cityName==portland' });
      expect(city.records.length).toBeGreaterThan(0);
      expect(city.records.every((user) => user.location.cityName === 'Portland')).toBe(true);
    });

    it('lastModifiedDate>= after touching a few records returns exactly those', async () => {
      const now = Date.now();
      sim.data.touchUsers([3, 1500, 2499], now);
      const { records } = await scrollAll<PxUser>(sim, 'users', { filter: `lastModifiedDate>=${now}` });
      expect(records.map((user) => user.identifyId)).toEqual(['user-0000003', 'user-0001500', 'user-0002499']);
      expect(records[0]?.lastName).toMatch(/ \(rev 1\)$/);
      expect(records.every((user) => user.lastModifiedDate === now)).toBe(true);
    });

    it('a malformed term answers 400; a term on an unknown field matches nothing', async () => {
      for (const filter of ['email=x@example.com', 'email', '==x', 'type==USER;', 'email!x']) {
        expect((await get(sim, '/users', { filter })).status, filter).toBe(400);
      }
      expect((await list(sim, 'users', { filter: 'noSuchField!=x' })).body.totalHits).toBe(0);
    });
  });

  describe('sort', () => {
    it('a - prefix sorts descending, and a sorted scroll still returns every record once', async () => {
      const { records } = await scrollAll<PxAccount>(sim, 'accounts', { sort: '-numberOfEmployees' }, 30);
      const employees = records.map((account) => account.numberOfEmployees);
      expect(employees).toEqual([...employees].sort((a, b) => b - a));
      expect(new Set(records.map((account) => account.id)).size).toBe(100);
    });

    it('sorts on several fields, text case-insensitively', async () => {
      const { records } = await scrollAll<PxUser>(sim, 'users', { sort: 'location.countryName;-createDate', filter: 'type==LEAD' });
      const keys = records.map((user) => [user.location.countryName.toLowerCase(), -user.createDate] as const);
      const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
      expect(keys).toEqual(sorted);
    });
  });

  describe('single records', () => {
    it('GET /v1/accounts/{id} and /v1/users/{identifyId} answer 200, or 404 when absent; ids are case-sensitive', async () => {
      expect(await getJson<PxAccount>(sim, '/accounts/acc-000042')).toEqual(sim.data.account(42));
      expect(await getJson<PxUser>(sim, '/users/user-0000042')).toEqual(sim.data.user(42));
      expect((await get(sim, '/accounts/ACC-000042')).status).toBe(404);
      expect((await get(sim, '/accounts/acc-42')).status).toBe(404);
      expect((await get(sim, '/users/user-0002500')).status).toBe(404);
    });
  });

  describe('field metadata', () => {
    it('lists standard and custom account attributes', async () => {
      const attributes = await getJson<PxAttribute[]>(sim, '/admin/model/account/attributes');
      const byName = new Map(attributes.map((attribute) => [attribute.apiName, attribute]));
      expect(byName.get('seats')).toMatchObject({ type: 'NUMBER', origin: 'CUSTOM', state: 'ENABLED' });
      expect(byName.get('tier')).toMatchObject({ type: 'STRING', origin: 'CUSTOM' });
      expect(byName.get('lastModifiedDate')).toMatchObject({ type: 'DATE_TIME', origin: 'DEFAULT' });
      expect(byName.get('location.cityName')).toMatchObject({ type: 'STRING', origin: 'DEFAULT' });
      for (const field of Object.keys(sim.data.account(0))) {
        if (field !== 'location' && field !== 'customAttributes') expect(byName.has(field), field).toBe(true);
      }
    });

    it('lists standard and custom user attributes, with createdDate and modifiedDate', async () => {
      const attributes = await getJson<PxAttribute[]>(sim, '/admin/model/user/attributes');
      const custom = attributes.filter((attribute) => attribute.origin === 'CUSTOM' && attribute.state === 'ENABLED');
      expect(custom.map((attribute) => [attribute.apiName, attribute.type])).toEqual([['plan', 'STRING'], ['score', 'NUMBER'], ['betaTester', 'BOOLEAN']]);
      expect(attributes.every((attribute) => Number.isInteger(attribute.createdDate) && Number.isInteger(attribute.modifiedDate))).toBe(true);
    });
  });

  describe('faults', () => {
    it('rateLimit answers 429 for the next requests, with Retry-After when asked', async () => {
      sim.faults.rateLimit(2, { retryAfterSeconds: 3 });
      for (let i = 0; i < 2; i++) {
        const limited = await get(sim, '/users');
        expect(limited.status).toBe(429);
        expect(limited.headers.get('retry-after')).toBe('3');
        expect(JSON.stringify(await limited.json())).toContain('Rate limit exceeded');
      }
      expect((await get(sim, '/users')).status).toBe(200);
    });

    it('rateLimit without retryAfterSeconds sends no Retry-After', async () => {
      sim.faults.rateLimit(1);
      const limited = await get(sim, '/users');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBeNull();
    });

    it('an outage answers 503 until its window ends', async () => {
      sim.faults.outage(300);
      expect((await get(sim, '/accounts')).status).toBe(503);
      expect((await get(sim, '/accounts/acc-000001')).status).toBe(503);
      await sleep(350);
      expect((await get(sim, '/accounts')).status).toBe(200);
    });

    it('latency delays every API request', async () => {
      sim.faults.latency(150);
      const started = Date.now();
      await get(sim, '/accounts');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('ignored filter fields are dropped silently; rejected ones answer 400', async () => {
      const window = 'lastModifiedDate>=4102444800000';
      expect((await list(sim, 'users', { filter: window })).body.totalHits).toBe(0);
      sim.faults.ignoreFilterFields(['lastModifiedDate']);
      expect((await list(sim, 'users', { filter: window })).body.totalHits).toBe(2500);
      expect((await list(sim, 'users', { filter: `${window};type==LEAD` })).body.totalHits).toBe(75);
      sim.faults.reset();
      sim.faults.rejectFilterFields(['lastModifiedDate']);
      expect((await get(sim, '/users', { filter: window })).status).toBe(400);
      expect((await get(sim, '/users', { filter: 'type==LEAD' })).status).toBe(200);
    });

    it('faults can be driven over HTTP, without an API key, by another process', async () => {
      const set = await control(sim, '/faults', { rateLimit: { count: 1, retryAfterSeconds: 1 } });
      expect(set.status).toBe(200);
      expect(await set.json()).toMatchObject({ rateLimitedRequestsLeft: 1, retryAfterSeconds: 1 });
      expect((await get(sim, '/users')).status).toBe(429);
      await control(sim, '/faults', { outage: { ms: 10_000 } });
      expect((await get(sim, '/users')).status).toBe(503);
      await control(sim, '/faults', { reset: true });
      expect((await get(sim, '/users')).status).toBe(200);
      expect((await control(sim, '/faults', { outage: { ms: 'long' } })).status).toBe(400);
    });
  });

  describe('statistics', () => {
    it('counts requests by status and remembers list queries, for push-down checks', async () => {
      sim.stats.reset();
      sim.faults.rateLimit(1);
      await get(sim, '/users', { filter: 'lastModifiedDate>=1;lastModifiedDate<2', pageSize: 10 });
      await get(sim, '/users', { filter: 'lastModifiedDate>=1;lastModifiedDate<2', pageSize: 10 });
      await get(sim, '/accounts/acc-000001');
      expect(sim.stats.requests).toBe(3);
      expect(sim.stats.byStatus).toEqual({ 200: 2, 429: 1 });
      expect(sim.stats.listRequests).toEqual({ '/v1/users': 1 });
      expect(sim.stats.lastQuery('/v1/users')?.filters).toEqual(['lastModifiedDate>=1;lastModifiedDate<2']);
    });
  });
});

describe('simulated data', () => {
  let sim: PxSimulator;

  beforeAll(async () => {
    sim = await startPxSimulator({ apiKey: API_KEY, data: { accounts: 20, users: 200 } });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('a 200-user dataset holds every kind of untidy record', async () => {
    const users = (await scrollAll<PxUser>(sim, 'users', {})).records;
    const accounts = (await scrollAll<PxAccount>(sim, 'accounts', {})).records;
    const accountIds = new Set(accounts.map((account) => account.id));
    const emails = users.flatMap((user) => (user.email === undefined ? [] : [user.email]));

    expect(users.filter((user) => user.type === 'VISITOR' && !('email' in user)).length).toBeGreaterThan(0);
    expect(emails.filter((email) => emails.some((other) => other !== email && other.toLowerCase() === email.toLowerCase())).length).toBeGreaterThan(0);
    expect(users.filter((user) => !('accountId' in user)).length).toBeGreaterThan(0);
    expect(users.filter((user) => user.accountId !== undefined && !accountIds.has(user.accountId)).length).toBeGreaterThan(0);
    expect(emails.filter((email) => email !== email.toLowerCase() && email !== email.toUpperCase()).length).toBeGreaterThan(0);
    expect(users.filter((user) => user.type === 'LEAD').length).toBeGreaterThan(0);
    expect(users.filter((user) => typeof user.customAttributes.score !== 'number').length).toBeGreaterThan(0);
    expect(accounts.filter((account) => !('numberOfUsers' in account)).length).toBeGreaterThan(0);
    expect(accounts.filter((account) => typeof account.customAttributes.seats !== 'number').length).toBeGreaterThan(0);
  });

  it('numberOfUsers is the exact number of users naming the account, also after users are added', async () => {
    const check = async (): Promise<void> => {
      const users = (await scrollAll<PxUser>(sim, 'users', {})).records;
      const accounts = (await scrollAll<PxAccount>(sim, 'accounts', {})).records;
      const counts = new Map<string, number>();
      for (const user of users) if (user.accountId !== undefined) counts.set(user.accountId, (counts.get(user.accountId) ?? 0) + 1);
      for (const account of accounts) {
        if (account.numberOfUsers !== undefined) expect(account.numberOfUsers, account.id).toBe(counts.get(account.id) ?? 0);
      }
    };
    await check();
    const before = Date.now();
    const added = await control(sim, '/add', { object: 'users', count: 30 });
    expect(await added.json()).toMatchObject({ added: 30, firstIndex: 200, userCount: 230 });
    await check();
    const changed = await scrollAll<PxAccount>(sim, 'accounts', { filter: `lastModifiedDate>=${before}` });
    expect(changed.records.length).toBeGreaterThan(0);
  });

  it('touching over HTTP changes a field and lastModifiedDate', async () => {
    const now = Date.now() + 60_000;
    expect((await control(sim, '/touch', { object: 'accounts', indexes: [5, 6], now })).status).toBe(200);
    const { records } = await scrollAll<PxAccount>(sim, 'accounts', { filter: `lastModifiedDate>=${now}` });
    expect(records.map((account) => [account.id, account.name.endsWith(' (rev 1)')])).toEqual([['acc-000005', true], ['acc-000006', true]]);
    expect((await control(sim, '/touch', { object: 'accounts', indexes: [999] })).status).toBe(400);
  });

  it('the same seed gives the same records, another seed other records', () => {
    const options = { accounts: 50, users: 500, seed: 3 };
    const a = new PxDataset(options);
    const b = new PxDataset(options);
    const c = new PxDataset({ ...options, seed: 4 });
    expect([...a.users()]).toEqual([...b.users()]);
    expect([...a.accounts()]).toEqual([...b.accounts()]);
    expect([...a.users()]).not.toEqual([...c.users()]);
  });

  it('initial data was created and modified at or before baseTime', () => {
    const data = new PxDataset({ accounts: 20, users: 200, baseTime: Date.UTC(2024, 5, 1) });
    for (const user of data.users()) {
      expect(user.createDate).toBeLessThanOrEqual(user.lastModifiedDate);
      expect(user.lastModifiedDate).toBeLessThanOrEqual(Date.UTC(2024, 5, 1));
    }
  });
});
