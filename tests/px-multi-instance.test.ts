// Multi-instance PX: every PX account is a company instance of its own, linked to a company by a
// lookup the admin can repoint; company persons record the instance they came from.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PxUser } from '../connectors/gainsight-px/simulator/index.js';
import { api, startStack, type Stack } from './support/stack.js';
import { connectPx, importNow, type JobDoc } from './support/px-flow.js';

interface InstanceRow {
  gsid: string;
  px_account_id: string;
  name: string;
  number_of_users: number | null;
  company_id: string | null;
}

interface CompanyPersonRow {
  email: string;
  px_user_id: string;
  instance_id: string;
  company_id: string | null;
}

describe('a multi-instance PX connection', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let users: PxUser[];
  /** Users with an email whose account exists: each is a company person of its account's instance. */
  let placed: PxUser[];

  const instances = async () => {
    const rows = await stack.database.sql<InstanceRow[]>`select gsid, px_account_id, name, number_of_users, company_id from company_instance`;
    return new Map(rows.map((r) => [r.px_account_id, r]));
  };
  const companyPersons = () =>
    stack.database.sql<CompanyPersonRow[]>`
      select p.email, cp.px_user_id, cp.instance_id, cp.company_id
      from company_person cp join person p on p.gsid = cp.person_id`;
  const insertCompany = async (name: string, tier: string | null = null) => {
    const [row] = await stack.database.sql<{ gsid: string }[]>`
      insert into company (gsid, name${tier === null ? stack.database.sql`` : stack.database.sql`, px_tier__gc`})
      values (gen_random_uuid()::text, ${name}${tier === null ? stack.database.sql`` : stack.database.sql`, ${tier}`})
      returning gsid`;
    return row!.gsid;
  };
  /** Every company person belongs to its user's instance and to that instance's company. */
  const expectPersonsFollowTheirInstances = async () => {
    const byAccount = await instances();
    const rows = await companyPersons();
    const expectedPairs = new Set(placed.map((u) => `${u.email!.toLowerCase()}|${byAccount.get(u.accountId!)!.gsid}`));
    expect(rows).toHaveLength(expectedPairs.size);
    expect(new Set(rows.map((r) => `${r.email.toLowerCase()}|${r.instance_id}`))).toEqual(expectedPairs);
    const companyOfInstance = new Map([...byAccount.values()].map((i) => [i.gsid, i.company_id]));
    for (const row of rows) expect(row.company_id).toBe(companyOfInstance.get(row.instance_id));
    return rows;
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 12, users: 150, seed: 19 } });
    ({ companySync, companyPersonSync } = await connectPx(stack, 'Connect to PX', { multiInstance: true }));
    users = [...stack.px!.data.users()];
    const accounts = new Set([...stack.px!.data.accounts()].map((a) => a.id));
    placed = users.filter((u) => u.email !== undefined && u.accountId !== undefined && accounts.has(u.accountId));
  });
  afterAll(async () => stack?.stop());

  it('syncs accounts into company instances, keyed and locked on the PX account id', async () => {
    expect(companySync.target).toEqual({ object: 'company_instance' });
    expect(companySync.mappings[0]).toEqual({ source: 'id', target: 'px_account_id', upsertKey: true, locked: true });
    expect(companySync.derivedMappings).toEqual([
      { target: 'company_id', object: 'company', kind: 'direct', match: [{ source: 'name', field: 'name' }], onNoMatch: 'null', onMultipleMatches: 'error' },
    ]);
    const unlocked = await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { mappings: companySync.mappings.filter((m) => m.target !== 'px_account_id') });
    expect(unlocked.status).toBe(409);
  });

  it('links each instance to the company of the same name by default, and leaves the rest unlinked', async () => {
    // Companies owned by the CRM: the first six accounts have one of the same name.
    const accounts = [...stack.px!.data.accounts()];
    const companies = new Map<string, string>();
    for (const account of accounts.slice(0, 6)) companies.set(account.id, await insertCompany(account.name));

    const run = await importNow(stack, companyPersonSync.id);
    expect(run.status).toBe('partial_success');

    const byAccount = await instances();
    expect(byAccount.size).toBe(12);
    for (const account of accounts) {
      const instance = byAccount.get(account.id)!;
      expect(instance.name).toBe(account.name);
      expect(instance.number_of_users).toBe(account.numberOfUsers ?? null);
      expect(instance.company_id).toBe(companies.get(account.id) ?? null);
    }
    const [count] = await stack.database.sql<{ n: string }[]>`select count(*) as n from company`;
    expect(Number(count!.n)).toBe(6);
  });

  it('records on each company person the instance it came from, and that instance’s company', async () => {
    const rows = await expectPersonsFollowTheirInstances();
    expect(rows.some((r) => r.company_id === null)).toBe(true);
    expect(rows.some((r) => r.company_id !== null)).toBe(true);
  });

  it('fails users of unknown accounts naming the instance lookup', async () => {
    const [latest] = (await api<{ items: { id: string; counts: { failed: number } }[] }>(stack, 'GET', `/v1/jobs/${companyPersonSync.id}/runs`)).body.items;
    const csv = await api<string>(stack, 'GET', `/v1/runs/${latest!.id}/errors`);
    const missing = users.find((u) => u.accountId?.startsWith('acc-missing-'))!;
    expect(csv.text).toContain(missing.identifyId);
    expect(csv.text).toContain(`lookup for instance_id: no company_instance record matches px_account_id = ""${missing.accountId}""`);
  });

  it('keeps two PX accounts of one company apart when the admin repoints the lookup', async () => {
    // The admin's CRM groups PX accounts by a field both sides share (here the PX tier).
    expect((await api(stack, 'POST', '/v1/objects/company/fields', { name: 'px_tier__gc', type: 'string' })).status).toBe(201);
    const tierCompanies = new Map<string, string>();
    for (const tier of ['Bronze', 'Silver', 'Gold', 'Platinum']) tierCompanies.set(tier, await insertCompany(`${tier} customers`, tier));
    const repointed = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${companySync.id}`, {
      derivedMappings: [{ target: 'company_id', object: 'company', kind: 'direct', match: [{ source: 'customAttributes.tier', field: 'px_tier__gc' }], onNoMatch: 'null', onMultipleMatches: 'error' }],
    });
    expect(repointed.status, repointed.text).toBe(200);
    for (const job of [companySync, companyPersonSync]) expect((await api(stack, 'POST', `/v1/jobs/${job.id}/reset-watermark`)).status).toBe(200);

    const run = await importNow(stack, companyPersonSync.id);
    expect(run.status).toBe('partial_success');
    expect(run.counts.inserted).toBe(0);

    const byAccount = await instances();
    expect(byAccount.size).toBe(12);
    const accounts = [...stack.px!.data.accounts()];
    for (const account of accounts) {
      const instance = byAccount.get(account.id)!;
      expect(instance.company_id).toBe(tierCompanies.get(account.customAttributes.tier));
      expect(instance.name).toBe(account.name);
      expect(instance.number_of_users).toBe(account.numberOfUsers ?? null);
    }
    const tiers = accounts.map((a) => a.customAttributes.tier);
    expect(tiers.some((tier, i) => tiers.indexOf(tier) !== i)).toBe(true);
    const companies = await stack.database.sql<{ name: string; px_account_id: string | null }[]>`select name, px_account_id from company where px_tier__gc is not null order by name`;
    expect(companies).toEqual(['Bronze', 'Gold', 'Platinum', 'Silver'].map((tier) => ({ name: `${tier} customers`, px_account_id: null })));

    await expectPersonsFollowTheirInstances();
  });

  it('keeps one person in two instances of one company as two company persons', async () => {
    const tierOf = (accountId: string) => stack.px!.data.findAccount(accountId)!.customAttributes.tier;
    const twins = placed.filter((u) => {
      const i = users.indexOf(u);
      const before = users[i - 1];
      return [12, 58].includes(i % 100) && before !== undefined && placed.includes(before) && before.accountId !== u.accountId && tierOf(before.accountId!) === tierOf(u.accountId!);
    });
    expect(twins.length).toBeGreaterThan(0);
    const byAccount = await instances();
    const rows = await companyPersons();
    for (const twin of twins) {
      const before = users[users.indexOf(twin) - 1]!;
      const mine = rows.filter((r) => r.email.toLowerCase() === twin.email!.toLowerCase());
      expect(new Set(mine.map((r) => r.instance_id))).toEqual(new Set([byAccount.get(before.accountId!)!.gsid, byAccount.get(twin.accountId!)!.gsid]));
      expect(new Set(mine.map((r) => r.company_id)).size).toBe(1);
      expect(new Set(mine.map((r) => r.px_user_id))).toEqual(new Set([before.identifyId, twin.identifyId]));
    }
  });
});
