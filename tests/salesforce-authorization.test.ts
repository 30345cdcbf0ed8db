// A Salesforce connection is authorized by OAuth: the web-server flow with PKCE through a browser, or
// the JWT bearer flow without one; each org type and custom domain reaches its own host and org;
// the state is single-use and bound to its connection; tokens are sealed and shown nowhere.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { api, ADMIN_TOKEN, startStack, type Stack } from './support/stack.js';
import {
  authorizeInBrowser, callback, connectSalesforce, followAuthorizePage, simControl, startSalesforce, SF_CALLBACK, SF_CLIENT_ID, SF_CLIENT_SECRET,
  type ConnectionDoc, type SalesforceFixture,
} from './support/salesforce-flow.js';

interface TestAnswer {
  ok: boolean;
  error?: { code: string; message: string };
  details?: { orgId: string; username: string; instanceUrl: string; apiUsage: { used: number; max: number; remaining: number } };
}

describe('Salesforce authorization', () => {
  let stack: Stack;
  let sf: SalesforceFixture;
  const org = (myDomain: string) => sf.sim.orgs.byMyDomain(myDomain)!;
  const connection = async (id: string) => (await api<ConnectionDoc>(stack, 'GET', `/v1/connections/${id}`)).body;

  beforeAll(async () => {
    stack = await startStack({ px: false });
    sf = await startSalesforce();
  });
  afterAll(async () => {
    await stack?.stop();
    await sf?.sim.close();
  });

  it('a new web-server connection needs authorization, says how, and shows its secret masked', async () => {
    const created = await connectSalesforce(stack, 'Acme production');
    expect(created.status).toBe('needs_authorization');
    expect(created.authorization).toBeNull();
    expect(created.config).toMatchObject({ orgType: 'production', clientId: SF_CLIENT_ID, clientSecret: '********', authFlow: 'web_server' });
    const test = await api<TestAnswer>(stack, 'POST', `/v1/connections/${created.id}/test`);
    expect(test.body.ok).toBe(false);
    expect(test.body.error!.message).toContain('/authorize');
    const objects = await api<{ error: { code: string } }>(stack, 'GET', `/v1/connections/${created.id}/objects`);
    expect(objects.status).toBe(409);
    expect(objects.body.error.code).toBe('needs_authorization');
  });

  it('authorize answers the login page with a state and a PKCE challenge; the verifier stays on the server, sealed', async () => {
    const created = await connectSalesforce(stack, 'Acme PKCE');
    const started = await api<{ mode: string; authorizationUrl: string; redirectUri: string; expiresAt: string }>(stack, 'POST', `/v1/connections/${created.id}/authorize`);
    expect(started.status, started.text).toBe(200);
    expect(started.body.mode).toBe('redirect');
    expect(started.body.redirectUri).toBe(SF_CALLBACK);
    // The simulator stands in for https://login.salesforce.com/services/oauth2/authorize.
    const url = new URL(started.body.authorizationUrl);
    expect(url.pathname).toBe('/__host/login.salesforce.com/services/oauth2/authorize');
    const params = url.searchParams;
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe(SF_CLIENT_ID);
    expect(params.get('redirect_uri')).toBe(SF_CALLBACK);
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = params.get('state')!;
    expect(state.length).toBeGreaterThanOrEqual(43);
    expect(Date.parse(started.body.expiresAt) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    const rows = await stack.database.sql<{ state_hash: string; verifier: string; connection_id: string }[]>`select state_hash, verifier, connection_id from oauth_states where connection_id = ${created.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state_hash).not.toContain(state);
    expect(rows[0]!.verifier.startsWith('v1.')).toBe(true);
    const verifier = stack.secrets.open(rows[0]!.verifier).verifier!;
    expect(started.text).not.toContain(verifier);
    expect(started.body.authorizationUrl).not.toContain(verifier);
  });

  it('the browser coming back with a code authorizes the connection: refresh token sealed, instance_url recorded, status active', async () => {
    const created = await connectSalesforce(stack, 'Acme browser');
    const before = sf.sim.grants.liveRefreshTokens();
    const back = await authorizeInBrowser(stack, created.id);
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.message).toContain('authorized');
    const after = await connection(created.id);
    expect(after.status).toBe('active');
    expect(after.statusMessage).toBeNull();
    expect(after.authorization).toMatchObject({ method: 'web_server', instanceUrl: 'https://acme.my.salesforce.com', orgId: org('acme').id, username: org('acme').username, authorizedBy: 'alice' });
    expect(sf.sim.grants.liveRefreshTokens()).toBe(before + 1);
    const [row] = await stack.database.sql<{ credentials: string }[]>`select credentials from connections where id = ${created.id}`;
    expect(row!.credentials.startsWith('v1.')).toBe(true);
    const credentials = stack.secrets.open(row!.credentials);
    expect(credentials.refreshToken).toMatch(/^5Aep861/);
    expect(credentials.accessToken).toMatch(new RegExp(`^${org('acme').id}!`));
    expect(row!.credentials).not.toContain(credentials.refreshToken);
    const test = await api<TestAnswer>(stack, 'POST', `/v1/connections/${created.id}/test`);
    expect(test.body.ok, test.text).toBe(true);
    expect(test.body.details).toMatchObject({ orgId: org('acme').id, username: org('acme').username, instanceUrl: 'https://acme.my.salesforce.com' });
    expect(test.body.details!.apiUsage.max).toBe(15_000);
    expect(test.body.details!.apiUsage.used).toBe(org('acme').apiRequestsUsed);
    const log = await api<{ items: { attribute: string; oldValue: unknown; newValue: unknown; user: string }[] }>(stack, 'GET', `/v1/logs?type=connection&connectionId=${created.id}`);
    expect(log.body.items.find((i) => i.attribute === 'status')).toMatchObject({ oldValue: 'needs_authorization', newValue: 'active', user: 'alice' });
  });

  it('a state works once, only within ten minutes, and never for a connection that is gone', async () => {
    const created = await connectSalesforce(stack, 'Acme states');
    const used = await authorizeInBrowser(stack, created.id);
    expect(used.status).toBe(200);
    const again = await callback(stack, used.callbackUrl);
    expect(again.status).toBe(400);
    expect(again.body.error!.message).toContain('already used');

    const forged = new URL(used.callbackUrl);
    forged.searchParams.set('state', 'a'.repeat(43));
    expect((await callback(stack, forged.toString())).status).toBe(400);

    const started = await api<{ authorizationUrl: string }>(stack, 'POST', `/v1/connections/${created.id}/authorize`);
    const late = await followAuthorizePage(started.body.authorizationUrl);
    await stack.database.sql`update oauth_states set expires_at = now() - interval '1 second' where connection_id = ${created.id}`;
    const expired = await callback(stack, late);
    expect(expired.status).toBe(400);
    expect(expired.body.error!.message).toContain('expired');

    const doomed = await connectSalesforce(stack, 'Acme deleted');
    const pending = await api<{ authorizationUrl: string }>(stack, 'POST', `/v1/connections/${doomed.id}/authorize`);
    const orphan = await followAuthorizePage(pending.body.authorizationUrl);
    expect((await api(stack, 'DELETE', `/v1/connections/${doomed.id}`)).status).toBe(204);
    expect((await callback(stack, orphan)).status).toBe(400);
    expect((await connection(created.id)).status).toBe('active');

    // Asking again and again keeps five links open, the newest; the older ones stop working.
    const links: string[] = [];
    for (let i = 0; i < 7; i++) links.push((await api<{ authorizationUrl: string }>(stack, 'POST', `/v1/connections/${created.id}/authorize`)).body.authorizationUrl);
    const [openLinks] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from oauth_states where connection_id = ${created.id}`;
    expect(openLinks!.n).toBe(5);
    expect((await callback(stack, await followAuthorizePage(links[0]!))).status).toBe(400);
    expect((await callback(stack, await followAuthorizePage(links[6]!))).status).toBe(200);
  });

  it('a person who denies access leaves the connection unauthorized, and the connection log says so', async () => {
    const created = await connectSalesforce(stack, 'Acme denied');
    await simControl(sf.sim, 'faults', { denyConsent: true });
    try {
      const back = await authorizeInBrowser(stack, created.id);
      expect(back.status).toBe(400);
      expect(back.body.error).toMatchObject({ code: 'authorization_denied' });
      expect(back.body.error!.message).toContain('access_denied');
    } finally {
      await simControl(sf.sim, 'faults', { reset: true });
    }
    expect((await connection(created.id)).status).toBe('needs_authorization');
    const log = await api<{ items: { attribute: string; newValue: unknown; additionalInfo: string | null }[] }>(stack, 'GET', `/v1/logs?type=connection&connectionId=${created.id}`);
    expect(log.body.items.find((i) => i.attribute === 'authorization' && i.newValue === 'refused')?.additionalInfo).toContain('access_denied');
  });

  it('production, sandbox and custom domains log in at their own hosts and reach their own orgs', async () => {
    const cases = [
      { name: 'Prod', config: { orgType: 'production' }, loginHost: 'login.salesforce.com', org: 'acme' },
      { name: 'Sandbox', config: { orgType: 'sandbox' }, loginHost: 'test.salesforce.com', org: 'acme--uat' },
      { name: 'Globex domain', config: { customDomain: 'globex' }, loginHost: 'globex.my.salesforce.com', org: 'globex' },
      { name: 'UAT domain', config: { orgType: 'sandbox', customDomain: 'https://acme--uat.sandbox.my.salesforce.com' }, loginHost: 'acme--uat.sandbox.my.salesforce.com', org: 'acme--uat' },
    ];
    for (const c of cases) {
      sf.sim.stats.reset();
      const created = await connectSalesforce(stack, c.name, c.config);
      const started = await api<{ authorizationUrl: string }>(stack, 'POST', `/v1/connections/${created.id}/authorize`);
      expect(new URL(started.body.authorizationUrl).pathname, c.name).toBe(`/__host/${c.loginHost}/services/oauth2/authorize`);
      const back = await callback(stack, await followAuthorizePage(started.body.authorizationUrl));
      expect(back.status, `${c.name}: ${JSON.stringify(back.body)}`).toBe(200);
      const target = org(c.org);
      expect(sf.sim.stats.tokenGrants, c.name).toEqual({ [`${c.loginHost} authorization_code`]: 1 });
      const test = await api<TestAnswer>(stack, 'POST', `/v1/connections/${created.id}/test`);
      expect(test.body.details, c.name).toMatchObject({ orgId: target.id, instanceUrl: `https://${target.host}` });
      // The login host and the org's own instance, no other host: no other org's.
      expect(Object.keys(sf.sim.stats.byHost).sort(), c.name).toEqual([...new Set([c.loginHost, target.host])].sort());
    }
  });

  it('refuses settings that name no Salesforce org, each with its field', async () => {
    const refused = async (config: Record<string, unknown>, path: string) => {
      const answer = await api<{ error: { details: { path: string; message: string }[] } }>(stack, 'POST', '/v1/connections', { connector: 'salesforce', name: 'bad', config: { clientId: SF_CLIENT_ID, clientSecret: SF_CLIENT_SECRET, ...config } });
      expect(answer.status, JSON.stringify(config)).toBe(400);
      expect(answer.body.error.details.map((d) => d.path)).toContain(path);
      return answer.body.error.details.find((d) => d.path === path)!.message;
    };
    expect(await refused({ orgType: 'developer' }, '/config/orgType')).toContain('production or sandbox');
    expect(await refused({ customDomain: 'https://evil.example.com' }, '/config/customDomain')).toContain('My Domain');
    expect(await refused({ customDomain: 'acme.my.salesforce.com.evil.io' }, '/config/customDomain')).toContain('My Domain');
    expect(await refused({ customDomain: 'acme--uat' }, '/config/customDomain')).toContain('orgType');
    expect(await refused({ authFlow: 'jwt_bearer' }, '/config/username')).toContain('username');
    expect(await refused({ apiVersion: 'latest' }, '/config/apiVersion')).toContain('62.0');
    const created = await connectSalesforce(stack, 'Globex checks', { customDomain: 'globex' });
    const patched = await api<{ error: { details: { path: string }[] } }>(stack, 'PATCH', `/v1/connections/${created.id}`, { config: { orgType: 'sandbox' } });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details.map((d) => d.path)).toEqual(['/config/customDomain']);
    // A change is judged with the settings it joins: a sandbox takes a sandbox's My Domain.
    const sandbox = await connectSalesforce(stack, 'UAT checks', { orgType: 'sandbox' });
    expect((await api(stack, 'PATCH', `/v1/connections/${sandbox.id}`, { config: { customDomain: 'acme--uat' } })).status).toBe(200);
    // Without its secret, a web-server connection cannot finish an authorization: said before the browser trip.
    const secretless = await api<ConnectionDoc>(stack, 'POST', '/v1/connections', { connector: 'salesforce', name: 'No secret', config: { clientId: SF_CLIENT_ID } });
    const refusedStart = await api<{ error: { message: string } }>(stack, 'POST', `/v1/connections/${secretless.body.id}/authorize`);
    expect(refusedStart.status).toBe(400);
    expect(refusedStart.body.error.message).toContain('config.clientSecret');
  });

  it('moving a connection to another org voids its grant (revoked at Salesforce, authorize again); deleting it revokes it too', async () => {
    const created = await connectSalesforce(stack, 'Acme moving');
    expect((await authorizeInBrowser(stack, created.id)).status).toBe(200);
    const [row] = await stack.database.sql<{ credentials: string }[]>`select credentials from connections where id = ${created.id}`;
    const { refreshToken } = stack.secrets.open(row!.credentials);
    expect(sf.sim.grants.refreshGrant(refreshToken!)).toBeDefined();
    const patched = await api<ConnectionDoc>(stack, 'PATCH', `/v1/connections/${created.id}`, { config: { orgType: 'sandbox' } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ status: 'needs_authorization', authorization: null });
    expect(patched.body.statusMessage).toContain('orgType changed');
    expect(sf.sim.grants.refreshGrant(refreshToken!)).toBeUndefined();
    const [cleared] = await stack.database.sql<{ credentials: string | null }[]>`select credentials from connections where id = ${created.id}`;
    expect(cleared!.credentials).toBeNull();
    // A new secret keeps the grant: the refresh token belongs to the app, not to its secret.
    expect((await authorizeInBrowser(stack, created.id)).status).toBe(200);
    expect((await api<ConnectionDoc>(stack, 'PATCH', `/v1/connections/${created.id}`, { config: { clientSecret: SF_CLIENT_SECRET } })).body.status).toBe('active');
    // Deleting the connection lets go of its grant at Salesforce too.
    const [again] = await stack.database.sql<{ credentials: string }[]>`select credentials from connections where id = ${created.id}`;
    const second = stack.secrets.open(again!.credentials).refreshToken!;
    expect(sf.sim.grants.refreshGrant(second)).toBeDefined();
    expect((await api(stack, 'DELETE', `/v1/connections/${created.id}`)).status).toBe(204);
    expect(sf.sim.grants.refreshGrant(second)).toBeUndefined();
  });

  it('the JWT bearer flow authorizes without a browser, and says what to fix when Salesforce refuses it', async () => {
    const created = await connectSalesforce(stack, 'Acme headless', { authFlow: 'jwt_bearer', username: org('acme').username, privateKey: sf.privateKey });
    expect(created.status).toBe('active');
    expect(created.config.privateKey).toBe('********');
    const authorized = await api<{ mode: string; status: string; authorization: Record<string, string> }>(stack, 'POST', `/v1/connections/${created.id}/authorize`);
    expect(authorized.status, authorized.text).toBe(200);
    expect(authorized.body).toMatchObject({ mode: 'direct', status: 'active', authorization: { method: 'jwt_bearer', orgId: org('acme').id, instanceUrl: 'https://acme.my.salesforce.com' } });
    const test = await api<TestAnswer>(stack, 'POST', `/v1/connections/${created.id}/test`);
    expect(test.body.details?.orgId).toBe(org('acme').id);
    expect(Object.keys(sf.sim.stats.tokenGrants)).toContain('login.salesforce.com urn:ietf:params:oauth:grant-type:jwt-bearer');

    await simControl(sf.sim, 'faults', { jwtApproved: false });
    try {
      const refused = await api<{ error: { code: string; message: string } }>(stack, 'POST', `/v1/connections/${created.id}/authorize`);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('authorization_failed');
      expect(refused.body.error.message).toContain("user hasn't approved this consumer");
    } finally {
      await simControl(sf.sim, 'faults', { reset: true });
    }
  });

  it("lists the org's objects with Salesforce's types, described once a day unless refreshed", async () => {
    const created = await connectSalesforce(stack, 'Acme objects');
    await authorizeInBrowser(stack, created.id);
    type Objects = { items: { name: string; custom?: boolean; fields: { name: string; type: string; sourceType: string; custom: boolean; filterable: boolean }[] }[]; fetchedAt: string };
    const describes = () => sf.sim.stats.calls.describe ?? 0;
    const first = await api<Objects>(stack, 'GET', `/v1/connections/${created.id}/objects`);
    expect(first.status, first.text).toBe(200);
    expect(first.body.items.map((o) => o.name)).toEqual(['Account', 'Contact', 'Opportunity', 'Subscription__c']);
    const account = new Map(first.body.items[0]!.fields.map((f) => [f.name, f]));
    expect(account.get('Id')).toMatchObject({ type: 'string', sourceType: 'id' });
    expect(account.get('Industry')).toMatchObject({ type: 'string', sourceType: 'picklist', custom: false });
    expect(account.get('AnnualRevenue')).toMatchObject({ type: 'number', sourceType: 'currency' });
    expect(account.get('NumberOfEmployees')).toMatchObject({ type: 'number', sourceType: 'int' });
    expect(account.get('Health_Score__c')).toMatchObject({ type: 'number', sourceType: 'percent', custom: true });
    expect(account.get('Customer_Since__c')).toMatchObject({ type: 'date', sourceType: 'date' });
    expect(account.get('SystemModstamp')).toMatchObject({ type: 'datetime', sourceType: 'datetime' });
    expect(account.get('IsDeleted')).toMatchObject({ type: 'boolean', sourceType: 'boolean' });
    expect(account.get('Description')).toMatchObject({ sourceType: 'textarea', filterable: false });
    expect(first.body.items[3]).toMatchObject({ name: 'Subscription__c', custom: true });
    const contact = first.body.items[1]!.fields.find((f) => f.name === 'AccountId');
    expect(contact).toMatchObject({ type: 'string', sourceType: 'reference' });

    const counted = describes();
    const again = await api<Objects>(stack, 'GET', `/v1/connections/${created.id}/objects`);
    expect(again.body.fetchedAt).toBe(first.body.fetchedAt);
    expect(describes()).toBe(counted);
    const refreshed = await api<Objects>(stack, 'GET', `/v1/connections/${created.id}/objects?refresh=true`);
    expect(refreshed.body.fetchedAt).not.toBe(first.body.fetchedAt);
    expect(describes()).toBe(counted + 4);

    const one = await api<{ name: string; fields: unknown[] }>(stack, 'GET', `/v1/connections/${created.id}/objects/Subscription__c`);
    expect(one.body.name).toBe('Subscription__c');
    const missing = await api<{ error: { message: string } }>(stack, 'GET', `/v1/connections/${created.id}/objects/Invoice__c`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('Invoice__c');
  });

  it('keeps code, state and tokens out of every answer, table (but sealed), audit value and API log line', async () => {
    const lines: string[] = [];
    const logged = await buildApp(
      { database: stack.database, temporal: stack.temporal, secrets: stack.secrets, outbound: stack.outbound, tokens: [{ name: 'alice', token: ADMIN_TOKEN, role: 'admin' }], publicUrl: 'http://syncline.test' },
      { logStream: new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }) },
    );
    try {
      const created = await api<ConnectionDoc>({ ...stack, app: logged }, 'POST', '/v1/connections', { connector: 'salesforce', name: 'Acme logged', config: { clientId: SF_CLIENT_ID, clientSecret: SF_CLIENT_SECRET } });
      const started = await api<{ authorizationUrl: string }>({ ...stack, app: logged }, 'POST', `/v1/connections/${created.body.id}/authorize`);
      const location = new URL(await followAuthorizePage(started.body.authorizationUrl));
      const back = await logged.inject({ method: 'GET', url: `${location.pathname}${location.search}` });
      expect(back.statusCode, back.body).toBe(200);
      const code = location.searchParams.get('code')!;
      const state = location.searchParams.get('state')!;
      const log = lines.join('');
      expect(log).toContain('/v1/oauth/callback?code=[redacted]&state=[redacted]');
      for (const secret of [code, state, SF_CLIENT_SECRET]) expect(log).not.toContain(secret);

      const secrets = [SF_CLIENT_SECRET, sf.privateKey.split('\n')[1]!];
      for (const row of await stack.database.sql<{ credentials: string }[]>`select credentials from connections where credentials is not null`) {
        const tokens = stack.secrets.open(row.credentials);
        secrets.push(...Object.values(tokens));
      }
      expect(secrets.length).toBeGreaterThan(8);
      const answers = ['/v1/connections', `/v1/connections/${created.body.id}`, '/v1/logs?type=audit&limit=500', '/v1/logs?type=connection&limit=500'];
      for (const url of answers) {
        const answer = await api(stack, 'GET', url);
        for (const secret of [...secrets, code]) expect(answer.text, url).not.toContain(secret);
      }
      const tables = await stack.database.sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
      for (const { table_name } of tables) {
        const rows = await stack.database.sql<{ row: string }[]>`select t::text as row from ${stack.database.sql(table_name)} t`;
        const text = rows.map((r) => r.row).join('\n');
        for (const secret of [...secrets, code, state]) expect(text, table_name).not.toContain(secret);
      }
    } finally {
      await logged.close();
    }
  });
});
