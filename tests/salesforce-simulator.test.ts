// The Salesforce simulator behaves as Salesforce documents it, so that what the connector is tested
// against is what it will meet: OAuth's errors, SOQL's errors, query locators, queryAll, Bulk API
// result sets, limits, hosts. Plain HTTP against the simulator, no Syncline in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeOf, defaultOrgs, startSalesforceSimulator, type SalesforceSimulator } from '../connectors/salesforce/simulator/index.js';

const APP = { clientId: 'sim-client', clientSecret: 'sim-secret', callbackUrls: ['https://app.example/callback'] };
const VERIFIER = 'v'.repeat(43);

describe('the Salesforce simulator', () => {
  let sim: SalesforceSimulator;
  let token: { access_token: string; refresh_token: string; instance_url: string };

  const at = (host: string, path: string) => `${sim.url}/__host/${host}${path}`;
  const form = (url: string, fields: Record<string, string>) => fetch(url, { method: 'POST', body: new URLSearchParams(fields) });
  const authorize = async (host: string, extra: Record<string, string> = {}) => {
    const params = new URLSearchParams({ response_type: 'code', client_id: APP.clientId, redirect_uri: APP.callbackUrls[0]!, state: 's1', code_challenge: challengeOf(VERIFIER), ...extra });
    const answer = await fetch(at(host, `/services/oauth2/authorize?${params.toString()}`), { redirect: 'manual' });
    return { status: answer.status, location: answer.headers.get('location') };
  };
  const codeFrom = (location: string | null) => new URL(location!).searchParams.get('code')!;
  const exchange = (host: string, code: string, extra: Record<string, string> = {}) =>
    form(at(host, '/services/oauth2/token'), { grant_type: 'authorization_code', code, client_id: APP.clientId, client_secret: APP.clientSecret, redirect_uri: APP.callbackUrls[0]!, code_verifier: VERIFIER, ...extra });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(at('acme.my.salesforce.com', path), { headers: { authorization: `Bearer ${token.access_token}`, ...headers } });
  const query = (soql: string, resource = 'query', headers: Record<string, string> = {}) => get(`/services/data/v62.0/${resource}?q=${encodeURIComponent(soql)}`, headers);

  beforeAll(async () => {
    sim = await startSalesforceSimulator({ app: APP, orgs: defaultOrgs({ accounts: 450, contacts: 120, seed: 2 }), bulkProcessingMs: 50 });
    const { location } = await authorize('login.salesforce.com');
    token = await (await exchange('login.salesforce.com', codeFrom(location))).json();
  });
  afterAll(async () => sim?.close());

  it('authorize redirects with a code and the state, or refuses an unknown app or callback on its own page', async () => {
    const ok = await authorize('test.salesforce.com');
    expect(ok.status).toBe(302);
    expect(new URL(ok.location!).searchParams.get('state')).toBe('s1');
    expect((await authorize('login.salesforce.com', { client_id: 'nobody' })).status).toBe(400);
    expect((await authorize('login.salesforce.com', { redirect_uri: 'https://evil.example/callback' })).status).toBe(400);
    const wrongType = await authorize('login.salesforce.com', { response_type: 'token' });
    expect(new URL(wrongType.location!).searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('a code is single use, bound to its host, redirect URI and PKCE verifier, with OAuth error bodies', async () => {
    const oauthError = async (answer: Response) => ({ status: answer.status, ...((await answer.json()) as { error: string }) });
    expect(await oauthError(await exchange('login.salesforce.com', codeFrom((await authorize('login.salesforce.com')).location), { code_verifier: 'w'.repeat(43) }))).toMatchObject({ status: 400, error: 'invalid_request' });
    const noVerifier = await form(at('login.salesforce.com', '/services/oauth2/token'), { grant_type: 'authorization_code', code: codeFrom((await authorize('login.salesforce.com')).location), client_id: APP.clientId, client_secret: APP.clientSecret, redirect_uri: APP.callbackUrls[0]! });
    expect(await oauthError(noVerifier)).toMatchObject({ error: 'invalid_grant' });
    expect(await oauthError(await exchange('test.salesforce.com', codeFrom((await authorize('login.salesforce.com')).location)))).toMatchObject({ error: 'invalid_grant' });
    expect(await oauthError(await exchange('login.salesforce.com', codeFrom((await authorize('login.salesforce.com')).location), { client_secret: 'guess' }))).toMatchObject({ error: 'invalid_client' });
    const code = codeFrom((await authorize('login.salesforce.com')).location);
    const first = await exchange('login.salesforce.com', code);
    const body = (await first.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'id', 'instance_url', 'issued_at', 'refresh_token', 'scope', 'signature', 'token_type']);
    expect(body.instance_url).toBe('https://acme.my.salesforce.com');
    expect(await oauthError(await exchange('login.salesforce.com', code))).toMatchObject({ error: 'invalid_grant' });
  });

  it('refresh answers a new access token without a refresh token, at the issuing host only; revoke ends both', async () => {
    const refresh = (host: string, refreshToken: string) => form(at(host, '/services/oauth2/token'), { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: APP.clientId, client_secret: APP.clientSecret });
    const { location } = await authorize('login.salesforce.com');
    const granted = (await (await exchange('login.salesforce.com', codeFrom(location))).json()) as Record<string, string>;
    const renewed = (await (await refresh('login.salesforce.com', granted.refresh_token!)).json()) as Record<string, string>;
    expect(renewed.refresh_token).toBeUndefined();
    expect(renewed.access_token).not.toBe(granted.access_token);
    expect((await refresh('test.salesforce.com', granted.refresh_token!)).status).toBe(400);
    expect((await form(at('login.salesforce.com', '/services/oauth2/revoke'), { token: granted.refresh_token! })).status).toBe(200);
    expect(await (await refresh('login.salesforce.com', granted.refresh_token!)).json()).toEqual({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
    const stale = await fetch(at('acme.my.salesforce.com', '/services/data/v62.0/limits'), { headers: { authorization: `Bearer ${renewed.access_token}` } });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });

  it("a token works only on its own org's instance", async () => {
    const elsewhere = await fetch(at('globex.my.salesforce.com', '/services/data/v62.0/limits'), { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(elsewhere.status).toBe(401);
    const unknown = await fetch(at('initech.my.salesforce.com', '/services/data/v62.0/limits'), { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(unknown.status).toBe(404);
  });

  it('answers SOQL it cannot run with MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE and a caret under the place', async () => {
    const failure = async (soql: string) => {
      const answer = await query(soql);
      expect(answer.status, soql).toBe(400);
      const [error] = (await answer.json()) as { errorCode: string; message: string }[];
      return error!;
    };
    expect(await failure('SELECT Id FROMM Account')).toEqual({ errorCode: 'MALFORMED_QUERY', message: "\nSELECT Id FROMM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FROMM'" });
    expect((await failure('SELECT Id, Nmae FROM Account')).message).toContain("No such column 'Nmae' on entity 'Account'");
    expect((await failure('SELECT Id FROM Acount')).errorCode).toBe('INVALID_TYPE');
    expect((await failure("SELECT Id FROM Account WHERE AnnualRevenue > '5'")).message).toContain('must be of type currency and should not be enclosed in quotes');
    expect((await failure('SELECT Id FROM Account WHERE Name = 5')).message).toContain('must be of type string and should be enclosed in quotes');
    expect((await failure("SELECT Id FROM Account WHERE Description LIKE 'x%'")).message).toContain("field 'Description' can not be filtered");
    expect((await failure("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Industry = 'c'")).errorCode).toBe('MALFORMED_QUERY');
    expect((await failure('SELECT Id FROM Contact WHERE Account.Name = null')).errorCode).toBe('INVALID_FIELD');
  });

  it('evaluates text without regard to case, keeps nulls for !=, orders nulls first, and applies LIMIT', async () => {
    const count = async (where: string, resource = 'query') => ((await (await query(`SELECT COUNT() FROM Account WHERE ${where}`, resource)).json()) as { totalSize: number }).totalSize;
    const accounts = sim.orgs.byMyDomain('acme')!.data.all('Account');
    expect(await count("Industry = 'TECHNOLOGY'")).toBe(accounts.filter((a) => String(a.Industry).toLowerCase() === 'technology').length);
    expect(await count("Industry != 'Banking'")).toBe(accounts.filter((a) => a.Industry !== 'Banking').length);
    expect(await count("Name LIKE '%0\\_1%' OR Name LIKE 'acme%'")).toBe(accounts.filter((a) => /0_1|^acme/i.test(String(a.Name))).length);
    const ordered = (await (await query('SELECT Id, Industry FROM Account ORDER BY Industry LIMIT 3')).json()) as { totalSize: number; records: { Industry: string | null }[] };
    expect(ordered.totalSize).toBe(3);
    expect(ordered.records.map((r) => r.Industry)).toEqual([null, null, null]);
  });

  it('pages by nextRecordsUrl in batches of 200 to 2,000 and fails a lapsed locator with INVALID_QUERY_LOCATOR', async () => {
    const first = (await (await query('SELECT Id FROM Account', 'query', { 'sforce-query-options': 'batchSize=10' })).json()) as { totalSize: number; done: boolean; nextRecordsUrl: string; records: unknown[] };
    expect([first.totalSize, first.done, first.records.length]).toEqual([450, false, 200]);
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g[0-9A-Za-z]+-200$/);
    const second = (await (await get(first.nextRecordsUrl)).json()) as { done: boolean; records: unknown[]; nextRecordsUrl: string };
    expect([second.done, second.records.length]).toEqual([false, 200]);
    await fetch(`${sim.url}/__sim/locators/expire`, { method: 'POST' });
    const lapsed = await get(second.nextRecordsUrl);
    expect(lapsed.status).toBe(400);
    expect(await lapsed.json()).toEqual([{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
  });

  it('queryAll, and only queryAll, returns deleted records, with IsDeleted', async () => {
    await fetch(`${sim.url}/__sim/data/delete`, { method: 'POST', body: JSON.stringify({ org: 'acme', object: 'Account', indexes: [0] }) });
    const soql = 'SELECT Id, IsDeleted FROM Account WHERE IsDeleted = true';
    expect(((await (await query(soql)).json()) as { totalSize: number }).totalSize).toBe(0);
    const all = (await (await query(soql, 'queryAll')).json()) as { records: { Id: string; IsDeleted: boolean }[] };
    expect(all.records).toEqual([expect.objectContaining({ Id: sim.orgs.byMyDomain('acme')!.data.all('Account')[0]!.Id, IsDeleted: true })]);
  });

  it('runs Bulk API 2.0 query jobs: UploadComplete to JobComplete, CSV results in sets named by Sforce-Locator', async () => {
    const created = await fetch(at('acme.my.salesforce.com', '/services/data/v62.0/jobs/query'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'query', query: "SELECT Id, Name, AnnualRevenue, Description FROM Account WHERE Name LIKE '%0%'" }),
    });
    const job = (await created.json()) as { id: string; state: string; contentType: string };
    expect([created.status, job.state, job.contentType]).toEqual([200, 'UploadComplete', 'CSV']);
    expect((await get(`/services/data/v62.0/jobs/query/${job.id}/results`)).status).toBe(412);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(((await (await get(`/services/data/v62.0/jobs/query/${job.id}`)).json()) as { state: string }).state).toBe('JobComplete');
    const results = await get(`/services/data/v62.0/jobs/query/${job.id}/results?maxRecords=100`);
    expect(results.headers.get('content-type')).toBe('text/csv');
    expect(results.headers.get('sforce-numberofrecords')).toBe('100');
    const locator = results.headers.get('sforce-locator')!;
    expect(locator).toBe('MTAw');
    const text = await results.text();
    expect(text.split('\n')[0]).toBe('"Id","Name","AnnualRevenue","Description"');
    expect(text).toContain('"Key account, renewal in Q3 — ""strategic""\nSecond line');
    const last = await get(`/services/data/v62.0/jobs/query/${job.id}/results?maxRecords=100000&locator=${locator}`);
    expect(last.headers.get('sforce-locator')).toBe('null');
    const wrongVersion = await get(`/services/data/v61.0/jobs/query/${job.id}/results`);
    expect(wrongVersion.status).toBe(409);
  });

  it('counts API requests against the daily limit, reports them in Sforce-Limit-Info, and refuses beyond it', async () => {
    const org = sim.orgs.byMyDomain('acme')!;
    const answer = await get('/services/data/v62.0/limits');
    expect(answer.headers.get('sforce-limit-info')).toBe(`api-usage=${org.apiRequestsUsed}/15000`);
    const limits = (await answer.json()) as { DailyApiRequests: { Max: number; Remaining: number } };
    expect(limits.DailyApiRequests).toEqual({ Max: 15_000, Remaining: 15_000 - org.apiRequestsUsed });
    await fetch(`${sim.url}/__sim/limits`, { method: 'POST', body: JSON.stringify({ org: 'acme', used: 15_000 }) });
    const refused = await get('/services/data/v62.0/limits');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    await fetch(`${sim.url}/__sim/limits`, { method: 'POST', body: JSON.stringify({ org: 'acme', used: 0 }) });
  });
});
