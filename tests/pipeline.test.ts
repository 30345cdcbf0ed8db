// The engine's rules for each record, proven on PX data through the API: modification types, upsert
// keys, conversion, lookups, filters and the failed-records file.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PxAccount, PxUser } from '../connectors/gainsight-px/simulator/index.js';
import { api, startStack, type Stack } from './support/stack.js';
import { connectPx, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';

const ACCOUNTS = 150;
const USERS = 300;

interface ErrorRow {
  source_id: string;
  key_values: string;
  reason: string;
  record: string;
}

describe('The sync pipeline: filter, map, look up and upsert each record', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let accounts: PxAccount[];
  let users: PxUser[];

  const baseMappings = [
    { source: 'name', target: 'name', upsertKey: false },
    { source: 'numberOfUsers', target: 'number_of_users', upsertKey: false },
    { source: 'id', target: 'px_account_id', upsertKey: true },
  ];
  const companyLookup = { target: 'company_id', object: 'company', kind: 'direct', match: [{ source: 'accountId', field: 'px_account_id' }], onNoMatch: 'error', onMultipleMatches: 'error' };

  const patch = async (job: JobDoc, body: Record<string, unknown>) => {
    const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, body);
    expect(patched.status, patched.text).toBe(200);
    return patched.body;
  };
  /** Import From Date from 1970: every record, whatever the watermark says. */
  const syncAll = async (job: JobDoc): Promise<RunDoc> => {
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/import-from-date`, { from: '1970-01-01T00:00:00.000Z' });
    expect(triggered.status, triggered.text).toBe(202);
    return waitForRun(stack, triggered.body.runId);
  };
  const failures = async (run: RunDoc): Promise<ErrorRow[]> => {
    const answer = await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`);
    expect(answer.status).toBe(200);
    return parse(answer.text, { columns: true }) as ErrorRow[];
  };
  const emptyTargets = () => stack.database.sql`truncate company, person, company_person cascade`;
  const companies = () => stack.database.sql<Record<string, unknown>[]>`select * from company`;
  const addField = async (object: string, name: string, type: string) => {
    const created = await api(stack, 'POST', `/v1/objects/${object}/fields`, { name, type });
    expect(created.status, created.text).toBe(201);
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: ACCOUNTS, users: USERS, seed: 21 }, pageSize: 50 });
    ({ companySync, companyPersonSync } = await connectPx(stack));
    accounts = [...stack.px!.data.accounts()];
    users = [...stack.px!.data.users()];
    await addField('company', 'seats__gc', 'number');
    await addField('company', 'country__gc', 'string');
    await addField('company', 'twin__gc', 'gsid');
    await addField('company_person', 'country_company__gc', 'gsid');
  });
  afterAll(async () => stack?.stop());

  describe('upsert and update by key', () => {
    it('Update mode fails every record with no match ("no matching record") and inserts nothing', async () => {
      await emptyTargets();
      companySync = await patch(companySync, { modificationType: 'update', mappings: baseMappings });
      const run = await syncAll(companySync);
      expect(run.counts).toMatchObject({ fetched: ACCOUNTS, inserted: 0, updated: 0, failed: ACCOUNTS });
      expect(await companies()).toHaveLength(0);

      const rows = await failures(run);
      expect(rows).toHaveLength(ACCOUNTS);
      const first = rows.find((r) => r.source_id === 'acc-000000')!;
      expect(first.reason).toContain('no matching record');
      expect(JSON.parse(first.key_values)).toEqual({ px_account_id: 'acc-000000' });
      expect(JSON.parse(first.record)).toMatchObject({ id: 'acc-000000', name: accounts[0]!.name });
      expect(new Set(rows.map((r) => r.source_id))).toEqual(new Set(accounts.map((a) => a.id)));
    });

    it('Update mode updates the records that match', async () => {
      companySync = await patch(companySync, { modificationType: 'upsert' });
      expect((await syncAll(companySync)).counts).toMatchObject({ inserted: ACCOUNTS, failed: 0 });
      companySync = await patch(companySync, { modificationType: 'update' });
      stack.px!.data.touchAccounts([1]);
      const run = await syncAll(companySync);
      expect(run.counts).toMatchObject({ inserted: 0, updated: 1, unchanged: ACCOUNTS - 1, failed: 0 });
      companySync = await patch(companySync, { modificationType: 'upsert' });
    });

    it('an update that changes nothing is counted unchanged and leaves modified_at alone', async () => {
      const before = new Map((await companies()).map((r) => [r.px_account_id, String(r.modified_at)]));
      stack.px!.data.touchAccounts([2]);
      const run = await syncAll(companySync);
      expect(run.counts).toMatchObject({ fetched: ACCOUNTS, inserted: 0, updated: 1, unchanged: ACCOUNTS - 1, failed: 0 });
      const after = await companies();
      const moved = after.filter((r) => String(r.modified_at) !== before.get(r.px_account_id));
      expect(moved.map((r) => r.px_account_id)).toEqual(['acc-000002']);
    });

    it('a composite upsert key matches only when every key field matches', async () => {
      companySync = await patch(companySync, { mappings: baseMappings.map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' || m.target === 'name' })) });
      stack.px!.data.touchAccounts([4]);
      const run = await syncAll(companySync);
      // acc-000004 has a new name, so (px_account_id, name) no longer matches its row: a new one is inserted.
      expect(run.counts).toMatchObject({ inserted: 1, updated: 0, unchanged: ACCOUNTS - 1, failed: 0 });
      const rows = await stack.database.sql<{ name: string }[]>`select name from company where px_account_id = 'acc-000004' order by created_at`;
      expect(rows.map((r) => r.name)).toEqual([accounts[4]!.name, stack.px!.data.account(4).name]);
    });

    it('several target records matching one key is a record error', async () => {
      companySync = await patch(companySync, { mappings: baseMappings });
      const run = await syncAll(companySync);
      expect(run.status).toBe('partial_success');
      expect(run.counts).toMatchObject({ failed: 1, inserted: 0 });
      const [row] = await failures(run);
      expect(row!.source_id).toBe('acc-000004');
      expect(row!.reason).toContain('2 company records match upsert key px_account_id = "acc-000004"');
    });

    it('within one run, a later record with the same key wins over an earlier one', async () => {
      await emptyTargets();
      companySync = await patch(companySync, {
        mappings: [
          { source: 'name', target: 'name', upsertKey: false },
          { source: 'industry', target: 'industry', upsertKey: true },
          // Kept: Company Person Sync finds companies by it, so it cannot be removed.
          { source: 'id', target: 'px_account_id', upsertKey: false },
        ],
      });
      const run = await syncAll(companySync);
      // PX lists records in index order, here across three pages of 50.
      const last = new Map([...stack.px!.data.accounts()].map((a) => [a.industry, a.name]));
      expect(run.counts).toMatchObject({ fetched: ACCOUNTS, inserted: last.size, updated: ACCOUNTS - last.size, failed: 0 });
      const rows = await stack.database.sql<{ industry: string; name: string }[]>`select industry, name from company`;
      expect(new Map(rows.map((r) => [r.industry, r.name]))).toEqual(last);
    });

    it('an empty upsert-key value is a record error', async () => {
      await emptyTargets();
      companySync = await patch(companySync, { mappings: baseMappings.map((m) => ({ ...m, upsertKey: m.target !== 'name' })) });
      const run = await syncAll(companySync);
      const lacking = accounts.filter((a) => a.numberOfUsers === undefined).map((a) => a.id);
      expect(lacking.length).toBeGreaterThan(0);
      expect(run.counts).toMatchObject({ inserted: ACCOUNTS - lacking.length, failed: lacking.length });
      const rows = await failures(run);
      expect(rows.map((r) => r.source_id).sort()).toEqual(lacking.sort());
      expect(rows[0]!.reason).toContain('empty upsert key number_of_users');
      expect(JSON.parse(rows[0]!.key_values)).toEqual({ px_account_id: rows[0]!.source_id, number_of_users: null });
    });

    it('a value that cannot be converted to the target field type is a record error, never a silent null', async () => {
      await emptyTargets();
      companySync = await patch(companySync, { mappings: [...baseMappings, { source: 'customAttributes.seats', target: 'seats__gc', upsertKey: false }] });
      const run = await syncAll(companySync);
      const wrong = accounts.filter((a) => typeof a.customAttributes.seats !== 'number');
      expect(wrong.length).toBeGreaterThan(0);
      expect(run.counts).toMatchObject({ inserted: ACCOUNTS - wrong.length, failed: wrong.length });
      const rows = await failures(run);
      expect(rows.map((r) => r.source_id).sort()).toEqual(wrong.map((a) => a.id).sort());
      expect(rows[0]!.reason).toContain('seats__gc');
      expect(JSON.parse(rows[0]!.record).customAttributes.seats).toBe('many');
      const stored = await stack.database.sql<{ px_account_id: string; seats__gc: number }[]>`select px_account_id, seats__gc from company`;
      for (const row of stored) expect(row.seats__gc).toBe(stack.px!.data.findAccount(row.px_account_id)!.customAttributes.seats);
    });
  });

  describe('filters', () => {
    it('combines conditions with AND, OR and parentheses', async () => {
      await emptyTargets();
      companySync = await patch(companySync, {
        mappings: baseMappings,
        filters: {
          conditions: [
            { id: 'A', field: 'industry', op: 'eq', value: 'Software' },
            { id: 'B', field: 'industry', op: 'eq', value: 'Retail' },
            { id: 'C', field: 'numberOfUsers', op: 'gt', value: 1 },
          ],
          logic: '(A OR B) AND C',
        },
      });
      const run = await syncAll(companySync);
      const kept = accounts.filter((a) => (a.industry === 'Software' || a.industry === 'Retail') && (a.numberOfUsers ?? 0) > 1);
      expect(kept.length).toBeGreaterThan(0);
      expect(run.counts).toMatchObject({ fetched: ACCOUNTS, filtered: ACCOUNTS - kept.length, inserted: kept.length, failed: 0 });
      const rows = await stack.database.sql<{ px_account_id: string }[]>`select px_account_id from company`;
      expect(rows.map((r) => r.px_account_id).sort()).toEqual(kept.map((a) => a.id).sort());
      companySync = await patch(companySync, { filters: { conditions: [], logic: null } });
    });
  });

  describe('derived mappings', () => {
    it('a self lookup finds records of the target object itself', async () => {
      await emptyTargets();
      companySync = await patch(companySync, {
        mappings: baseMappings,
        derivedMappings: [{ target: 'twin__gc', object: 'company', kind: 'self', match: [{ source: 'id', field: 'px_account_id' }], onNoMatch: 'null', onMultipleMatches: 'error' }],
      });
      const first = await syncAll(companySync);
      expect(first.counts).toMatchObject({ inserted: ACCOUNTS, failed: 0 });
      // Each record finds itself once it exists.
      const second = await syncAll(companySync);
      expect(second.counts).toMatchObject({ updated: ACCOUNTS, failed: 0 });
      const rows = await stack.database.sql<{ gsid: string; twin__gc: string }[]>`select gsid, twin__gc from company`;
      expect(rows.every((r) => r.twin__gc === r.gsid)).toBe(true);
      companySync = await patch(companySync, { derivedMappings: [] });
    });

    it('refuses a self lookup on another object, naming the field', async () => {
      const refused = await api<{ error: { details: { path: string; message: string }[] } }>(stack, 'PATCH', `/v1/jobs/${companySync.id}`, {
        derivedMappings: [{ target: 'twin__gc', object: 'person', kind: 'self', match: [{ source: 'id', field: 'email' }], onNoMatch: 'null', onMultipleMatches: 'error' }],
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([{ path: '/derivedMappings/0/object', message: expect.stringContaining('set object to "company"') }]);
    });

    it('a direct lookup with onNoMatch error fails the users whose account is not a company', async () => {
      await emptyTargets();
      companySync = await patch(companySync, { mappings: [...baseMappings, { source: 'location.countryName', target: 'country__gc', upsertKey: false }] });
      expect((await syncAll(companySync)).counts).toMatchObject({ inserted: ACCOUNTS, failed: 0 });
      const run = await syncAll(companyPersonSync);
      const withEmail = users.filter((u) => u.email !== undefined);
      const orphans = withEmail.filter((u) => u.accountId === undefined || !stack.px!.data.findAccount(u.accountId));
      expect(orphans.length).toBeGreaterThan(0);
      expect(run.counts).toMatchObject({ fetched: USERS, filtered: USERS - withEmail.length, failed: orphans.length });
      const rows = await failures(run);
      expect(rows.map((r) => r.source_id).sort()).toEqual(orphans.map((u) => u.identifyId).sort());
      const missing = rows.find((r) => r.source_id === orphans.find((u) => u.accountId !== undefined)!.identifyId)!;
      expect(missing.reason).toContain('lookup for company_id: no company record matches px_account_id = "acc-missing-');
      const linked = await stack.database.sql<{ px_account_id: string; email: string }[]>`
        select c.px_account_id, p.email from company_person cp join company c on c.gsid = cp.company_id join person p on p.gsid = cp.person_id`;
      const expected = new Set(withEmail.filter((u) => !orphans.includes(u)).map((u) => `${u.email!.toLowerCase()}|${u.accountId}`));
      expect(new Set(linked.map((l) => `${l.email.toLowerCase()}|${l.px_account_id}`))).toEqual(expected);
    });

    it('reading the same users again changes nothing, though one person comes with two cases of email', async () => {
      const sameEmail = users.filter((u, i) => i > 0 && u.email !== undefined && u.email !== users[i - 1]!.email && u.email.toLowerCase() === users[i - 1]!.email?.toLowerCase());
      expect(sameEmail.length).toBeGreaterThan(0);
      const before = await stack.database.sql<{ modified_at: string }[]>`select modified_at from person order by gsid`;
      const run = await syncAll(companyPersonSync);
      expect(run.counts).toMatchObject({ inserted: 0, updated: 0, unchanged: run.counts.fetched - run.counts.filtered - run.counts.failed });
      expect(await stack.database.sql`select modified_at from person order by gsid`).toEqual(before);
    });

    it('a direct lookup with onNoMatch null keeps the record without a company', async () => {
      companyPersonSync = await patch(companyPersonSync, { derivedMappings: [{ ...companyLookup, onNoMatch: 'null' }] });
      const run = await syncAll(companyPersonSync);
      const orphans = users.filter((u) => u.email !== undefined && (u.accountId === undefined || !stack.px!.data.findAccount(u.accountId)));
      const orphanPeople = new Set(orphans.map((u) => u.email!.toLowerCase()));
      expect(run.counts).toMatchObject({ failed: 0, inserted: orphanPeople.size });
      const [row] = await stack.database.sql<{ count: number }[]>`select count(*)::int as count from company_person where company_id is null`;
      expect(row!.count).toBe(orphanPeople.size);
    });

    it('several matches are a record error unless any one is allowed', async () => {
      const countryLookup = { target: 'country_company__gc', object: 'company', kind: 'direct', match: [{ source: 'location.countryName', field: 'country__gc' }], onNoMatch: 'null', onMultipleMatches: 'error' };
      companyPersonSync = await patch(companyPersonSync, { derivedMappings: [{ ...companyLookup, onNoMatch: 'null' }, countryLookup] });
      const perCountry = new Map<string, number>();
      for (const a of accounts) perCountry.set(a.location.countryName, (perCountry.get(a.location.countryName) ?? 0) + 1);
      const ambiguous = users.filter((u) => u.email !== undefined && (perCountry.get(u.location.countryName) ?? 0) > 1);
      expect(ambiguous.length).toBeGreaterThan(0);

      const strict = await syncAll(companyPersonSync);
      expect(strict.counts.failed).toBe(ambiguous.length);
      const [sample] = await failures(strict);
      expect(sample!.reason).toMatch(/lookup for country_company__gc: \d+ company records match country__gc = ".+" \(from location.countryName\)/);

      companyPersonSync = await patch(companyPersonSync, { derivedMappings: [{ ...companyLookup, onNoMatch: 'null' }, { ...countryLookup, onMultipleMatches: 'any' }] });
      const lenient = await syncAll(companyPersonSync);
      expect(lenient.counts.failed).toBe(0);
      const rows = await stack.database.sql<{ px_user_id: string; country: string | null }[]>`
        select cp.px_user_id, c.country__gc as country from company_person cp left join company c on c.gsid = cp.country_company__gc`;
      const byUser = new Map(users.map((u) => [u.identifyId, u]));
      for (const row of rows) {
        const user = byUser.get(row.px_user_id)!;
        if (perCountry.has(user.location.countryName)) expect(row.country).toBe(user.location.countryName);
        else expect(row.country).toBeNull();
      }
    });
  });
});
