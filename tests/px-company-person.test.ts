// Company Person Sync against PX's untidy users: one person per email whatever its case, one
// company person per person and company, and every user that cannot be placed accounted for.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PxUser } from '../connectors/gainsight-px/simulator/index.js';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc, type RunDoc } from './support/px-flow.js';

interface Expected {
  users: PxUser[];
  withoutEmail: PxUser[];
  linked: PxUser[];
  unplaceable: PxUser[];
  /** `lower(email)|accountId` of every company person there should be. */
  pairs: Set<string>;
}

const pairOf = (email: string, accountId: string) => `${email.toLowerCase()}|${accountId}`;

function expectationOf(stack: Stack): Expected {
  const accounts = new Set([...stack.px!.data.accounts()].map((a) => a.id));
  const users = [...stack.px!.data.users()];
  const withEmail = users.filter((u) => u.email !== undefined && u.email !== '');
  const known = (u: PxUser) => u.accountId !== undefined && accounts.has(u.accountId);
  const linked = withEmail.filter(known);
  return {
    users,
    withoutEmail: users.filter((u) => !withEmail.includes(u)),
    linked,
    unplaceable: withEmail.filter((u) => !known(u)),
    pairs: new Set(linked.map((u) => pairOf(u.email!, u.accountId!))),
  };
}

describe('Company Person Sync links PX users to their companies', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let expected: Expected;
  let run: RunDoc;

  beforeAll(async () => {
    // With seed 14, users 58 and 158 reuse the previous user's email in the same account; 29 a page
    // puts 57 and 58 on different pages and 157 and 158 on one.
    stack = await startStack({ px: { accounts: 20, users: 300, seed: 14 }, pageSize: 29 });
    ({ companySync, companyPersonSync } = await connectPx(stack));
    await chooseAccountIdKey(stack, companySync);
    expected = expectationOf(stack);
    run = await importNow(stack, companyPersonSync.id);
  });
  afterAll(async () => stack?.stop());

  it('runs Company Sync first, as a dependency, so every account is a company', async () => {
    const runs = await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs`);
    expect(runs.body.items.map((r) => [r.trigger, r.status])).toEqual([['dependency', 'success']]);
    const [companies] = await stack.database.sql<{ n: string }[]>`select count(*) as n from company`;
    expect(Number(companies!.n)).toBe(20);
  });

  it('makes exactly one person per distinct email, without regard to case', async () => {
    const persons = await stack.database.sql<{ email: string }[]>`select email from person`;
    const emails = persons.map((p) => p.email.toLowerCase());
    expect(new Set(emails).size).toBe(emails.length);
    expect(new Set(emails)).toEqual(new Set(expected.linked.map((u) => u.email!.toLowerCase())));
  });

  it('links every user with an email and a known account: one row per person and company', async () => {
    const rows = await stack.database.sql<{ email: string; account: string; px_user_id: string; sign_up_date: string | null }[]>`
      select p.email, c.px_account_id as account, cp.px_user_id, cp.sign_up_date
      from company_person cp join person p on p.gsid = cp.person_id join company c on c.gsid = cp.company_id`;
    const [all] = await stack.database.sql<{ n: string }[]>`select count(*) as n from company_person`;
    expect(Number(all!.n)).toBe(rows.length);
    const pairs = rows.map((r) => pairOf(r.email, r.account));
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(new Set(pairs)).toEqual(expected.pairs);

    // Where one pair has one user, the row is that user's, typed.
    const byPair = new Map(rows.map((r) => [pairOf(r.email, r.account), r]));
    const single = expected.linked.filter((u) => expected.linked.filter((v) => pairOf(v.email!, v.accountId!) === pairOf(u.email!, u.accountId!)).length === 1);
    expect(single.length).toBeGreaterThan(200);
    for (const user of single) {
      const row = byPair.get(pairOf(user.email!, user.accountId!))!;
      expect(row.px_user_id).toBe(user.identifyId);
      expect(row.sign_up_date === null ? null : new Date(row.sign_up_date).getTime()).toBe(user.signUpDate ?? null);
    }
  });

  it('treats the same email in another case as the same person, in each of its companies', async () => {
    const duplicates = expected.users.filter((u, i) => [12, 58].includes(i % 100));
    expect(duplicates.length).toBeGreaterThanOrEqual(4);
    for (const duplicate of duplicates) {
      const original = expected.users[expected.users.indexOf(duplicate) - 1]!;
      expect(duplicate.email).toBe(original.email!.toUpperCase());
      const persons = await stack.database.sql<{ gsid: string; first_name: string }[]>`
        select gsid, first_name from person where lower(email) = lower(${original.email!})`;
      expect(persons).toHaveLength(1);
      expect(persons[0]!.first_name).toBe(original.firstName);
      const companies = await stack.database.sql<{ account: string }[]>`
        select c.px_account_id as account from company_person cp join company c on c.gsid = cp.company_id
        where cp.person_id = ${persons[0]!.gsid}`;
      expect(new Set(companies.map((c) => c.account))).toEqual(new Set([original.accountId, duplicate.accountId]));
      expect(companies).toHaveLength(new Set([original.accountId, duplicate.accountId]).size);
    }
  });

  it('keeps the later user where two users are the same person in the same company', async () => {
    const sameCompany = expected.users.filter((u, i) => [12, 58].includes(i % 100) && expected.users[i - 1]!.accountId === u.accountId);
    expect(sameCompany.map((u) => u.identifyId)).toEqual(['user-0000058', 'user-0000158']);
    for (const duplicate of sameCompany) {
      const rows = await stack.database.sql<{ px_user_id: string }[]>`
        select cp.px_user_id from company_person cp join person p on p.gsid = cp.person_id
        where lower(p.email) = lower(${duplicate.email!})`;
      expect(rows.map((r) => r.px_user_id)).toEqual([duplicate.identifyId]);
    }
  });

  it('counts users without an email as filtered, and the counts add up', () => {
    expect(run.status).toBe('partial_success');
    const c = run.counts;
    expect(c.fetched).toBe(expected.users.length);
    expect(c.filtered).toBe(expected.withoutEmail.length);
    expect(c.failed).toBe(expected.unplaceable.length);
    expect(c.inserted).toBe(expected.pairs.size);
    expect(c.inserted + c.updated + c.unchanged).toBe(expected.linked.length);
    expect(c.fetched).toBe(c.filtered + c.inserted + c.updated + c.unchanged + c.failed);
  });

  it('fails users whose account is unknown or absent, naming the lookup in the errors file', async () => {
    const missing = expected.unplaceable.filter((u) => u.accountId?.startsWith('acc-missing-'));
    const absent = expected.unplaceable.filter((u) => u.accountId === undefined);
    expect(missing.length).toBeGreaterThan(0);
    expect(absent.length).toBeGreaterThan(0);
    expect(missing.length + absent.length).toBe(expected.unplaceable.length);

    const csv = await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`);
    expect(csv.status).toBe(200);
    const rows = parse(csv.text, { columns: true }) as { source_id: string; key_values: string; reason: string; record: string }[];
    expect(new Set(rows.map((r) => r.source_id))).toEqual(new Set(expected.unplaceable.map((u) => u.identifyId)));
    const reasonOf = (user: PxUser) => rows.find((r) => r.source_id === user.identifyId)!.reason;
    for (const user of missing) {
      expect(reasonOf(user)).toContain('lookup for company_id');
      expect(reasonOf(user)).toContain(user.accountId!);
    }
    for (const user of absent) {
      expect(reasonOf(user)).toContain('lookup for company_id');
      expect(reasonOf(user)).toContain('accountId');
    }
    const row = rows.find((r) => r.source_id === missing[0]!.identifyId)!;
    expect(JSON.parse(row.key_values)).toEqual({ email: missing[0]!.email });
    expect((JSON.parse(row.record) as PxUser).identifyId).toBe(missing[0]!.identifyId);
  });

  it('a later Import Now reads only the users changed since, and updates their persons', async () => {
    stack.px!.data.touchUsers([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const again = await importNow(stack, companyPersonSync.id);
    expect(again.status).toBe('success');
    expect(again.counts).toEqual({ fetched: 10, filtered: 1, inserted: 0, updated: 9, unchanged: 0, failed: 0 });
    const touched = await stack.database.sql<{ last_name: string }[]>`select last_name from person where lower(email) = lower(${expected.users[3]!.email!})`;
    expect(touched.map((p) => p.last_name)).toEqual([`${expected.users[3]!.lastName} (rev 1)`]);
  });
});
