// The two Salesforce templates end to end on the real stack: Account → Company and Contact →
// Person + Company Person, exactly (rows, counts, lookups), then what a run meets in the field:
// watermarks, Import From Date, outages, an expired query locator, an access token that expires
// mid-run, and a revoked authorization.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, startStack, type Stack } from './support/stack.js';
import { waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { startMailServer, type MailServer } from './support/mail-server.js';
import { authorizeInBrowser, connectSalesforce, createTemplateJob, simControl, startSalesforce, SF_CLIENT_SECRET, type ConnectionDoc, type SalesforceFixture } from './support/salesforce-flow.js';
import { readable } from './support/history.js';

interface RunWithUsage extends RunDoc {
  progress: { pages: number };
  sourceUsage?: { dailyApiRequests: { used: number; max: number } };
}

const ALERTS = ['crm-ops@example.com'];

describe('Salesforce templates on the real stack', () => {
  let stack: Stack;
  let sf: SalesforceFixture;
  let mail: MailServer;
  let connection: ConnectionDoc;
  let accountJob: JobDoc;
  let contactJob: JobDoc;
  const runs: RunDoc[] = [];
  const acme = () => sf.sim.orgs.byMyDomain('acme')!;
  const live = (object: 'Account' | 'Contact') => acme().data.all(object).filter((r) => r.IsDeleted !== true);
  const run = async (path: string, body?: unknown): Promise<RunWithUsage> => {
    const triggered = await api<{ runId: string }>(stack, 'POST', path, body);
    expect(triggered.status, triggered.text).toBe(202);
    const done = (await waitForRun(stack, triggered.body.runId, 90_000)) as RunWithUsage;
    runs.push(done);
    return done;
  };
  const soqlOn = (object: string) => sf.sim.stats.queries.filter((q) => q.soql.includes(` FROM ${object}`) && !q.soql.includes('COUNT()'));
  const companies = () => stack.database.sql<{ sfdc_account_id: string; name: string; industry: string | null; employees: number | null; arr: number | null; website: string | null; gsid: string }[]>`
    select gsid, sfdc_account_id, name, industry, employees, arr::float8 as arr, website from company order by sfdc_account_id`;

  beforeAll(async () => {
    mail = await startMailServer();
    stack = await startStack({ px: false, smtpUrl: `smtp://127.0.0.1:${mail.port}/?ignoreTLS=true` });
    sf = await startSalesforce({ accounts: 220, contacts: 450, seed: 5 });
    connection = await connectSalesforce(stack, 'Acme CRM');
    expect((await authorizeInBrowser(stack, connection.id)).status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
    await sf?.sim.close();
    await mail?.stop();
  });

  it('offers two templates, created once each, the Contact job only after the Account job it runs after', async () => {
    const listed = await api<{ items: { key: string; source: { object: string }; target: { object: string }; dependsOn: string[]; jobId: string | null }[] }>(stack, 'GET', `/v1/connections/${connection.id}/job-templates`);
    expect(listed.body.items.map((t) => [t.key, t.source.object, t.target.object, t.dependsOn, t.jobId])).toEqual([
      ['account-company', 'Account', 'company', [], null],
      ['contact-company-person', 'Contact', 'company_person', ['account-company'], null],
    ]);
    const early = await api<{ error: { code: string; message: string } }>(stack, 'POST', `/v1/connections/${connection.id}/job-templates/contact-company-person`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('/job-templates/account-company');
    accountJob = await createTemplateJob(stack, connection.id, 'account-company');
    expect((await api(stack, 'POST', `/v1/connections/${connection.id}/job-templates/account-company`)).status).toBe(409);
    contactJob = await createTemplateJob(stack, connection.id, 'contact-company-person');
    expect(contactJob.dependsOn).toEqual([accountJob.id]);
    expect(accountJob.mappings.filter((m) => m.upsertKey).map((m) => m.target)).toEqual(['sfdc_account_id']);
    // Editable like any job: smaller batches, so that these runs read several pages; failures mailed.
    const notifications = { onSuccess: [], onFailure: ALERTS, webhookUrl: null };
    for (const job of [accountJob, contactJob]) {
      const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, { options: { batchSize: 200 }, notifications });
      expect(patched.status, patched.text).toBe(200);
    }
    const refused = await api<{ error: { details: { path: string }[] } }>(stack, 'PATCH', `/v1/jobs/${accountJob.id}`, { options: { batchSize: 50, readMode: 'fast' } });
    expect(refused.body.error.details.map((d) => d.path).sort()).toEqual(['/options/batchSize', '/options/readMode']);
  });

  it('Account to Company: one company per account, keyed by sfdc_account_id, with only the mapped fields queried', async () => {
    const done = await run(`/v1/jobs/${accountJob.id}/import-now`);
    expect(done.status, JSON.stringify(done.error)).toBe('success');
    const accounts = live('Account');
    expect(done.counts).toEqual({ fetched: accounts.length, filtered: 0, inserted: accounts.length, updated: 0, unchanged: 0, failed: 0 });
    expect(done.progress.pages).toBe(2);
    expect(done.sourceUsage?.dailyApiRequests).toEqual({ used: acme().apiRequestsUsed, max: 15_000 });
    const rows = await companies();
    const expected = accounts.map((a) => ({ sfdc_account_id: a.Id, name: a.Name, industry: a.Industry, employees: a.NumberOfEmployees, arr: a.AnnualRevenue, website: a.Website }));
    const byId = (x: { sfdc_account_id: unknown }, y: { sfdc_account_id: unknown }) => (String(x.sfdc_account_id) < String(y.sfdc_account_id) ? -1 : 1);
    expect(rows.map(({ gsid: _gsid, ...row }) => row).sort(byId)).toEqual(expected.sort(byId));
    // Untidy values arrive as Salesforce holds them: an inactive and an off-list picklist value, nulls.
    expect(rows.map((r) => r.industry)).toEqual(expect.arrayContaining(['Dot Com', 'technology', null]));
    const [query] = soqlOn('Account');
    expect(query!.soql).toBe(
      `SELECT Id, SystemModstamp, Name, Industry, NumberOfEmployees, AnnualRevenue, Website FROM Account WHERE SystemModstamp >= 1970-01-01T00:00:00.000Z AND SystemModstamp < ${done.window.to} ORDER BY SystemModstamp ASC, Id ASC`,
    );
    expect(query!.batchSize).toBe(200);
    expect(sf.sim.stats.calls.queryMore).toBe(1);
  });

  it('Contact to Company Person: one person per email whatever its case, each linked to its account\'s company; private contacts fail, named', async () => {
    sf.sim.stats.reset();
    const done = await run(`/v1/jobs/${contactJob.id}/import-now`);
    const accountRuns = await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${accountJob.id}/runs`);
    expect(accountRuns.body.items[0]).toMatchObject({ trigger: 'dependency', status: 'success' });
    const withEmail = live('Contact').filter((c) => c.Email !== null);
    const linked = withEmail.filter((c) => c.AccountId !== null);
    const orphans = withEmail.filter((c) => c.AccountId === null);
    expect(orphans.length).toBeGreaterThan(3);
    expect(done.status).toBe('partial_success');
    // The email filter went to Salesforce: contacts without one were never read.
    expect(soqlOn('Contact')[0]!.soql).toContain('AND Email != null');
    expect(done.counts.fetched).toBe(withEmail.length);
    expect(done.counts.filtered).toBe(0);
    expect(done.counts.failed).toBe(orphans.length);
    expect(done.counts.inserted + done.counts.updated + done.counts.unchanged).toBe(linked.length);

    const companyOf = new Map((await companies()).map((c) => [c.sfdc_account_id, c.gsid]));
    const persons = await stack.database.sql<{ email: string }[]>`select email from person`;
    expect(new Set(persons.map((p) => p.email.toLowerCase())).size).toBe(persons.length);
    expect(new Set(persons.map((p) => p.email.toLowerCase()))).toEqual(new Set(linked.map((c) => String(c.Email).toLowerCase())));
    const pairs = await stack.database.sql<{ email: string; company_id: string; role: string | null }[]>`
      select lower(p.email) as email, cp.company_id, cp.role from company_person cp join person p on p.gsid = cp.person_id`;
    const expectedPairs = new Set(linked.map((c) => `${String(c.Email).toLowerCase()}|${companyOf.get(String(c.AccountId))}`));
    expect(new Set(pairs.map((p) => `${p.email}|${p.company_id}`))).toEqual(expectedPairs);
    expect(pairs).toHaveLength(expectedPairs.size);
    const duplicates = linked.length - new Set(linked.map((c) => String(c.Email).toLowerCase())).size;
    expect(duplicates, 'the data has the same person under two cases of one email').toBeGreaterThan(0);

    const errors = await api<string>(stack, 'GET', `/v1/runs/${done.id}/errors`);
    const rows = parse(errors.text, { columns: true }) as { source_id: string; reason: string }[];
    expect(rows.map((r) => r.source_id).sort()).toEqual(orphans.map((c) => String(c.Id)).sort());
    expect(rows[0]!.reason).toContain('lookup for company_id');
  });

  it('Import Now reads only what changed since the watermark, which moves to the run\'s end', async () => {
    const before = await api<{ watermark: string }>(stack, 'GET', `/v1/jobs/${accountJob.id}/state`);
    // The latest run of the Account job is the one Contact Person's Import Now asked for, as its dependency.
    const previous = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${accountJob.id}/runs`)).body.items[0]!;
    expect(before.body.watermark).toBe(previous.window.to);
    await simControl(sf.sim, 'data/touch', { org: 'acme', object: 'Account', indexes: [3, 50, 199] });
    await simControl(sf.sim, 'data/add', { org: 'acme', object: 'Account', count: 2 });
    sf.sim.stats.reset();
    const done = await run(`/v1/jobs/${accountJob.id}/import-now`);
    expect(done.window.from).toBe(new Date(Date.parse(previous.window.to!) - 300_000).toISOString());
    expect(done.counts).toMatchObject({ fetched: 5, inserted: 2, updated: 3, failed: 0 });
    expect(soqlOn('Account')[0]!.soql).toContain(`SystemModstamp >= ${done.window.from} AND SystemModstamp < ${done.window.to}`);
    const names = new Map((await companies()).map((c) => [c.sfdc_account_id, c.name]));
    expect(names.size).toBe(live('Account').length);
    expect(names.get(String(acme().data.all('Account')[50]!.Id))).toMatch(/ \(rev 1\)$/);
    expect((await api<{ watermark: string }>(stack, 'GET', `/v1/jobs/${accountJob.id}/state`)).body.watermark).toBe(done.window.to);
  });

  it('Import From Date reads its window only and leaves the watermark where it was', async () => {
    const watermark = (await api<{ watermark: string }>(stack, 'GET', `/v1/jobs/${accountJob.id}/state`)).body.watermark;
    const from = '2024-03-01T00:00:00.000Z';
    const to = '2024-07-01T00:00:00.000Z';
    const inWindow = live('Account').filter((a) => (a.SystemModstamp as number) >= Date.parse(from) && (a.SystemModstamp as number) < Date.parse(to));
    expect(inWindow.length).toBeGreaterThan(10);
    const done = await run(`/v1/jobs/${accountJob.id}/import-from-date`, { from, to });
    expect(done.status).toBe('success');
    expect(done.window).toEqual({ from, to });
    expect(done.counts).toMatchObject({ fetched: inWindow.length, unchanged: inWindow.length, inserted: 0, failed: 0 });
    expect((await api<{ watermark: string }>(stack, 'GET', `/v1/jobs/${accountJob.id}/state`)).body.watermark).toBe(watermark);
  });

  it('an outage mid-read is waited out: the run resumes at the next page and its counts are exact', async () => {
    await api(stack, 'POST', `/v1/jobs/${contactJob.id}/reset-watermark`);
    const first = runs.find((r) => r.jobId === contactJob.id)!;
    await simControl(sf.sim, 'faults', { fail: { status: 503, count: 5, on: 'queryMore' } });
    sf.sim.stats.reset();
    const done = await run(`/v1/jobs/${contactJob.id}/import-from-date`, { from: '1970-01-01T00:00:00.000Z' });
    expect(done.status).toBe('partial_success');
    expect(sf.sim.stats.byStatus['503']).toBe(5);
    expect([done.counts.fetched, done.counts.filtered, done.counts.failed, done.counts.inserted]).toEqual([first.counts.fetched, first.counts.filtered, first.counts.failed, 0]);
    // The first page, committed before the outage, was not read again.
    expect(soqlOn('Contact')).toHaveLength(1);
  });

  it('the Salesforce limit (403 REQUEST_LIMIT_EXCEEDED) and 429s are outages too, not failures', async () => {
    await simControl(sf.sim, 'faults', { fail: { status: 403, count: 3, on: 'query' } });
    sf.sim.stats.reset();
    const limited = await run(`/v1/jobs/${accountJob.id}/import-from-date`, { from: '2024-03-01T00:00:00.000Z', to: '2024-07-01T00:00:00.000Z' });
    expect(limited.status).toBe('success');
    expect(sf.sim.stats.byStatus['403']).toBe(3);
    await simControl(sf.sim, 'faults', { fail: { status: 429, count: 2, retryAfterSeconds: 1, on: 'query' } });
    const throttled = await run(`/v1/jobs/${accountJob.id}/import-from-date`, { from: '2024-03-01T00:00:00.000Z', to: '2024-07-01T00:00:00.000Z' });
    expect(throttled.status).toBe('success');
    expect(throttled.counts).toEqual(limited.counts);
  });

  it('a query locator that lapsed is replaced by the same query after the last committed record', async () => {
    const first = runs.find((r) => r.jobId === contactJob.id)!;
    await simControl(sf.sim, 'settings', { locatorIdleMs: 0 });
    sf.sim.stats.reset();
    try {
      const done = await run(`/v1/jobs/${contactJob.id}/import-from-date`, { from: '1970-01-01T00:00:00.000Z' });
      expect(done.status).toBe('partial_success');
      expect(done.counts.fetched).toBe(first.counts.fetched);
      expect(done.counts.failed).toBe(first.counts.failed);
      expect(done.counts.inserted).toBe(0);
      const resumed = soqlOn('Contact').filter((q) => q.soql.includes('OR (SystemModstamp = '));
      expect(resumed.length).toBe(done.progress.pages - 1);
      expect(sf.sim.stats.byStatus['400']).toBe(resumed.length);
    } finally {
      await simControl(sf.sim, 'settings', { locatorIdleMs: 15 * 60_000 });
    }
  });

  it('an access token that expires mid-run is renewed without failing the run, and kept for the next session', async () => {
    const tokenOf = async () => stack.secrets.open((await stack.database.sql<{ credentials: string }[]>`select credentials from connections where id = ${connection.id}`)[0]!.credentials).accessToken;
    const before = await tokenOf();
    await simControl(sf.sim, 'faults', { fail: { status: 401, count: 1, on: 'queryMore' } });
    sf.sim.stats.reset();
    const done = await run(`/v1/jobs/${contactJob.id}/import-from-date`, { from: '1970-01-01T00:00:00.000Z' });
    expect(done.status).toBe('partial_success');
    expect(sf.sim.stats.byStatus['401']).toBe(1);
    expect(sf.sim.stats.tokenGrants).toEqual({ 'login.salesforce.com refresh_token': 1 });
    const renewed = await tokenOf();
    expect(renewed).not.toBe(before);
    expect(sf.sim.grants.accessGrant(renewed!)).toBeDefined();
    // Every token Salesforce issued expires: the next run renews once, at its first call.
    await simControl(sf.sim, 'tokens/expire');
    sf.sim.stats.reset();
    const next = await run(`/v1/jobs/${accountJob.id}/import-now`);
    expect(next.status).toBe('success');
    expect(sf.sim.stats.tokenGrants).toEqual({ 'login.salesforce.com refresh_token': 1 });
  });

  it('a revoked authorization fails the run at once, sends the connection to needs_authorization, logs it and alerts', async () => {
    await simControl(sf.sim, 'tokens/revoke', { org: 'acme' });
    sf.sim.stats.reset();
    const started = Date.now();
    const failed = await run(`/v1/jobs/${accountJob.id}/import-now`);
    expect(failed.status).toBe('failure');
    expect(failed.error!.code).toBe('SOURCE_AUTH_REJECTED');
    expect(failed.error!.message).toContain('invalid_grant');
    expect(failed.error!.message).toContain('authorize');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(sf.sim.stats.tokenGrants).toEqual({ 'login.salesforce.com refresh_token': 1 });
    const after = (await api<ConnectionDoc>(stack, 'GET', `/v1/connections/${connection.id}`)).body;
    expect(after.status).toBe('needs_authorization');
    expect(after.statusMessage).toContain('invalid_grant');
    const log = await api<{ items: { attribute: string; oldValue: unknown; newValue: unknown; user: string; additionalInfo: string }[] }>(stack, 'GET', `/v1/logs?type=connection&connectionId=${connection.id}`);
    expect(log.body.items[0]).toMatchObject({ attribute: 'status', oldValue: 'active', newValue: 'needs_authorization', user: 'system' });
    const message = await eventually('the failure mail', async () => mail.received.find((m) => m.text.includes(`/v1/runs/${failed.id}`)));
    expect(message.to).toEqual(ALERTS);
    expect(message.text).toContain('invalid_grant');

    // Authorized again, the connection runs again.
    expect((await authorizeInBrowser(stack, connection.id)).status).toBe(200);
    expect((await run(`/v1/jobs/${accountJob.id}/import-now`)).status).toBe('success');
  });

  it('no token, code or secret reaches a Temporal history', async () => {
    const secrets = [SF_CLIENT_SECRET, ...Object.values(stack.secrets.open((await stack.database.sql<{ credentials: string }[]>`select credentials from connections where id = ${connection.id}`)[0]!.credentials))];
    const ids = new Set([`job:${accountJob.id}`, `job:${contactJob.id}`, ...runs.map((r) => r.workflowId)]);
    for (const job of [accountJob, contactJob]) for (const r of (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${job.id}/runs?limit=100`)).body.items) ids.add(r.workflowId);
    expect(ids.size).toBeGreaterThan(10);
    for (const id of ids) {
      const history = readable(await stack.temporal.client.workflow.getHandle(id).fetchHistory()).join('\n');
      expect(history, `${id} was read, payloads decoded`).toMatch(/job_/);
      for (const secret of secrets) expect(history, id).not.toContain(secret);
    }
  });
});
