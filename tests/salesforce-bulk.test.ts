// The Bulk API 2.0 path writes exactly what the REST path writes; `auto` picks it above a record
// count; deleted records come through queryAll on either path; a custom job reads a custom object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startStack, type Stack } from './support/stack.js';
import { waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { authorizeInBrowser, connectSalesforce, createTemplateJob, simControl, startSalesforce, type ConnectionDoc, type SalesforceFixture } from './support/salesforce-flow.js';

interface Snapshot {
  companies: string[];
  persons: string[];
  companyPersons: string[];
}

describe('Salesforce Bulk API 2.0 reads', () => {
  let stack: Stack;
  let sf: SalesforceFixture;
  let connection: ConnectionDoc;
  let accountJob: JobDoc;
  let contactJob: JobDoc;
  const acme = () => sf.sim.orgs.byMyDomain('acme')!;

  const run = async (path: string, body?: unknown): Promise<RunDoc> => {
    const triggered = await api<{ runId: string }>(stack, 'POST', path, body);
    expect(triggered.status, triggered.text).toBe(202);
    return waitForRun(stack, triggered.body.runId, 90_000);
  };
  const options = async (job: JobDoc, value: Record<string, unknown>) => {
    const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, { options: value });
    expect(patched.status, patched.text).toBe(200);
  };
  /** Every target row as text, without the GSIDs and timestamps each write makes anew. */
  const snapshot = async (): Promise<Snapshot> => {
    const { sql } = stack.database;
    const companies = await sql<{ row: string }[]>`select concat_ws('|', sfdc_account_id, name, industry, employees, arr, website) as row from company order by 1`;
    const persons = await sql<{ row: string }[]>`select concat_ws('|', lower(email), first_name, last_name) as row from person order by 1`;
    const companyPersons = await sql<{ row: string }[]>`
      select concat_ws('|', lower(p.email), c.sfdc_account_id, cp.role) as row
      from company_person cp join person p on p.gsid = cp.person_id left join company c on c.gsid = cp.company_id order by 1`;
    return { companies: companies.map((r) => r.row), persons: persons.map((r) => r.row), companyPersons: companyPersons.map((r) => r.row) };
  };
  const emptyTargets = async () => {
    await stack.database.sql`delete from company_person`;
    await stack.database.sql`delete from person`;
    await stack.database.sql`delete from company`;
    for (const job of [accountJob, contactJob]) expect((await api(stack, 'POST', `/v1/jobs/${job.id}/reset-watermark`)).status).toBe(200);
  };
  const readsOf = (via: string, object: string) => sf.sim.stats.queries.filter((q) => q.via === via && q.soql.includes(` FROM ${object}`) && !q.soql.includes('COUNT()'));

  beforeAll(async () => {
    stack = await startStack({ px: false });
    sf = await startSalesforce({ accounts: 120, contacts: 260, seed: 11 });
    connection = await connectSalesforce(stack, 'Acme bulk');
    expect((await authorizeInBrowser(stack, connection.id)).status).toBe(200);
    accountJob = await createTemplateJob(stack, connection.id, 'account-company');
    contactJob = await createTemplateJob(stack, connection.id, 'contact-company-person');
  });
  afterAll(async () => {
    await stack?.stop();
    await sf?.sim.close();
  });

  it('writes exactly the rows and counts the REST path writes, in results sets read by Sforce-Locator', async () => {
    for (const job of [accountJob, contactJob]) await options(job, { readMode: 'rest', batchSize: 200 });
    const byRest = await run(`/v1/jobs/${contactJob.id}/import-now`);
    expect(byRest.status).toBe('partial_success');
    const restRows = await snapshot();
    const restAccounts = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${accountJob.id}/runs`)).body.items[0]!;
    expect(restRows.companies).toHaveLength(120);

    await emptyTargets();
    for (const job of [accountJob, contactJob]) await options(job, { readMode: 'bulk', bulkPageSize: 50 });
    sf.sim.stats.reset();
    const byBulk = await run(`/v1/jobs/${contactJob.id}/import-now`);
    const bulkAccounts = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${accountJob.id}/runs`)).body.items[0]!;
    expect(byBulk.status).toBe('partial_success');
    expect(await snapshot()).toEqual(restRows);
    expect(byBulk.counts).toEqual(byRest.counts);
    expect(bulkAccounts.counts).toEqual(restAccounts.counts);
    // Read by two query jobs, in sets of at most 50, and no REST query at all.
    expect(sf.sim.stats.calls.bulkCreate).toBe(2);
    expect(sf.sim.stats.calls.bulkResults).toBe(Math.ceil(120 / 50) + Math.ceil(byBulk.counts.fetched / 50));
    expect(readsOf('query', 'Account')).toEqual([]);
    expect(readsOf('bulk', 'Contact')[0]!.soql).toContain('Email != null');
    expect((await api<{ progress: { pages: number } }>(stack, 'GET', `/v1/runs/${bulkAccounts.id}`)).body.progress.pages).toBe(3);
  });

  it('auto reads by REST up to bulkThreshold records in the window and by the Bulk API above it', async () => {
    await emptyTargets();
    await options(accountJob, { readMode: 'auto', bulkThreshold: 1000 });
    await options(contactJob, { readMode: 'auto', bulkThreshold: 100 });
    sf.sim.stats.reset();
    expect((await run(`/v1/jobs/${contactJob.id}/import-now`)).status).toBe('partial_success');
    expect(readsOf('query', 'Account')).toHaveLength(1);
    expect(readsOf('bulk', 'Account')).toHaveLength(0);
    expect(readsOf('bulk', 'Contact')).toHaveLength(1);
    expect(sf.sim.stats.queries.filter((q) => q.soql.startsWith('SELECT COUNT() FROM')).map((q) => q.soql.split(' WHERE')[0])).toEqual(['SELECT COUNT() FROM Account', 'SELECT COUNT() FROM Contact']);
  });

  it('includeDeleted reads deleted records too, with IsDeleted, through queryAll on both paths', async () => {
    expect((await api(stack, 'POST', '/v1/objects/company/fields', { name: 'deleted__gc', type: 'boolean' })).status).toBe(201);
    const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${accountJob.id}`, { mappings: [...accountJob.mappings, { source: 'IsDeleted', target: 'deleted__gc', upsertKey: false }] });
    expect(patched.status, patched.text).toBe(200);
    const gone = [acme().data.all('Account')[4]!.Id, acme().data.all('Account')[9]!.Id];
    await simControl(sf.sim, 'data/delete', { org: 'acme', object: 'Account', indexes: [4, 9] });
    const deletedFlags = async () => (await stack.database.sql<{ id: string }[]>`select sfdc_account_id as id from company where deleted__gc order by 1`).map((r) => r.id);

    for (const readMode of ['rest', 'bulk']) {
      await stack.database.sql`update company set deleted__gc = null`;
      await options(accountJob, { readMode, includeDeleted: true });
      sf.sim.stats.reset();
      const done = await run(`/v1/jobs/${accountJob.id}/import-from-date`, { from: '1970-01-01T00:00:00.000Z' });
      expect(done.status, readMode).toBe('success');
      expect(done.counts.fetched, readMode).toBe(120);
      expect(await deletedFlags(), readMode).toEqual([...gone].sort());
      const read = sf.sim.stats.queries.find((q) => q.soql.includes('FROM Account') && !q.soql.includes('COUNT()'))!;
      expect(read.via, readMode).toBe(readMode === 'rest' ? 'queryAll' : 'bulk');
      expect(read.soql, readMode).toContain('SELECT Id, SystemModstamp, IsDeleted,');
    }
    await options(accountJob, { readMode: 'rest', includeDeleted: false });
    const plain = await run(`/v1/jobs/${accountJob.id}/import-from-date`, { from: '1970-01-01T00:00:00.000Z' });
    expect(plain.counts.fetched).toBe(118);
  });

  it('a custom job reads a custom object into a custom field, with Salesforce\'s own field names', async () => {
    expect((await api(stack, 'POST', '/v1/objects/company/fields', { name: 'seats__gc', type: 'number' })).status).toBe(201);
    const created = await api<JobDoc & { error?: unknown }>(stack, 'POST', '/v1/jobs', {
      connectionId: connection.id,
      name: 'Subscription seats',
      source: { object: 'Subscription__c' },
      target: { object: 'company' },
      modificationType: 'update',
      mappings: [
        { source: 'Account__c', target: 'sfdc_account_id', upsertKey: true },
        { source: 'Seats__c', target: 'seats__gc', upsertKey: false },
      ],
      filters: { conditions: [{ id: 'A', field: 'Active__c', op: 'eq', value: true }, { id: 'B', field: 'Seats__c', op: 'gte', value: 100 }], logic: 'A AND B' },
      options: { readMode: 'rest' },
    });
    expect(created.status, created.text).toBe(201);
    sf.sim.stats.reset();
    const done = await run(`/v1/jobs/${created.body.id}/import-now`);
    // Every account is a company by now, the two deleted ones too (flagged, not removed).
    const live = new Set((await stack.database.sql<{ id: string }[]>`select sfdc_account_id as id from company`).map((r) => r.id));
    expect(live.size).toBe(120);
    const wanted = acme().data.all('Subscription__c').filter((s) => s.Active__c === true && (s.Seats__c as number) >= 100);
    expect(wanted.length).toBeGreaterThan(5);
    expect(done.counts.fetched).toBe(wanted.length);
    expect(done.counts.failed).toBe(wanted.filter((s) => !live.has(s.Account__c as string)).length);
    expect(readsOf('query', 'Subscription__c')[0]!.soql).toContain('AND Active__c = true AND Seats__c >= 100');
    // The subscription read last (the REST path reads in SystemModstamp order) wins within the run.
    const readOrder = [...wanted].sort((a, b) => (a.SystemModstamp as number) - (b.SystemModstamp as number) || (String(a.Id) < String(b.Id) ? -1 : 1));
    const expected = new Map<string, number>();
    for (const s of readOrder) if (live.has(s.Account__c as string)) expected.set(String(s.Account__c), s.Seats__c as number);
    const rows = await stack.database.sql<{ id: string; seats: number }[]>`select sfdc_account_id as id, seats__gc as seats from company where seats__gc is not null`;
    expect(new Map(rows.map((r) => [r.id, r.seats]))).toEqual(expected);

    const typo = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${created.body.id}`, { mappings: [{ source: 'Account__c', target: 'sfdc_account_id', upsertKey: true }, { source: 'seats__c', target: 'seats__gc', upsertKey: false }] });
    expect(typo.status).toBe(200);
    const failed = await run(`/v1/jobs/${created.body.id}/import-now`);
    expect(failed.status).toBe('failure');
    expect(failed.error).toMatchObject({ code: 'INVALID_CONFIGURATION' });
    expect(failed.error!.message).toContain('"seats__c"');
    expect(failed.error!.message).toContain('use "Seats__c"');
  });
});
