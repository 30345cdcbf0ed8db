// An admin maps PX custom attributes to custom and standard fields: the values land typed, and a
// value of the wrong type is a record error, never a silent null.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc, type RunDoc } from './support/px-flow.js';

describe('PX custom attributes mapped to the data platform', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let companyRun: RunDoc;
  let personRun: RunDoc;

  const addField = async (object: string, name: string, type: string) => {
    const added = await api(stack, 'POST', `/v1/objects/${object}/fields`, { name, type });
    expect(added.status, added.text).toBe(201);
  };
  const addMappings = async (job: JobDoc, extra: { source: string; target: string }[]) => {
    const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings: [...job.mappings, ...extra.map((m) => ({ ...m, upsertKey: false }))] });
    expect(patched.status, patched.text).toBe(200);
    return patched.body;
  };
  const errorsOf = async (run: RunDoc) =>
    parse((await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`)).text, { columns: true }) as { source_id: string; reason: string }[];

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 120, users: 150, seed: 4 } });
    ({ companySync, companyPersonSync } = await connectPx(stack));
    companySync = await chooseAccountIdKey(stack, companySync);
    await addField('company', 'tier__gc', 'string');
    await addField('company', 'internal_id__gc', 'number');
    await addField('company_person', 'beta_tester__gc', 'boolean');
    await addField('company_person', 'score__gc', 'number');
    companySync = await addMappings(companySync, [
      { source: 'customAttributes.tier', target: 'tier__gc' },
      { source: 'customAttributes.internalId', target: 'internal_id__gc' },
      { source: 'customAttributes.seats', target: 'employees' },
    ]);
    companyPersonSync = await addMappings(companyPersonSync, [
      { source: 'customAttributes.betaTester', target: 'beta_tester__gc' },
      { source: 'customAttributes.score', target: 'score__gc' },
    ]);
    companyRun = await importNow(stack, companySync.id);
    personRun = await importNow(stack, companyPersonSync.id);
  });
  afterAll(async () => stack?.stop());

  it('lands account custom attributes typed, in a custom field and in a standard one', async () => {
    const rows = await stack.database.sql<{ px_account_id: string; tier__gc: string; internal_id__gc: number; employees: number }[]>`
      select px_account_id, tier__gc, internal_id__gc, employees from company`;
    const byId = new Map(rows.map((r) => [r.px_account_id, r]));
    const accounts = [...stack.px!.data.accounts()].filter((a) => typeof a.customAttributes.seats === 'number');
    expect(rows).toHaveLength(accounts.length);
    for (const account of accounts) {
      const row = byId.get(account.id)!;
      expect(row.tier__gc).toBe(account.customAttributes.tier);
      expect(row.internal_id__gc).toBe(account.customAttributes.internalId);
      expect(row.employees).toBe(account.customAttributes.seats);
    }
    const [types] = await stack.database.sql<{ tier: string; internal: string; employees: string }[]>`
      select pg_typeof(tier__gc)::text as tier, pg_typeof(internal_id__gc)::text as internal, pg_typeof(employees)::text as employees from company limit 1`;
    expect(types).toEqual({ tier: 'text', internal: 'double precision', employees: 'integer' });
  });

  it('fails an account whose attribute has the wrong type, naming the attribute and the value', async () => {
    expect(companyRun.status).toBe('partial_success');
    expect(companyRun.counts).toMatchObject({ fetched: 120, inserted: 118, failed: 2 });
    const errors = await errorsOf(companyRun);
    expect(errors.map((e) => e.source_id)).toEqual(['acc-000007', 'acc-000107']);
    expect(errors[0]!.reason).toContain('customAttributes.seats → employees');
    expect(errors[0]!.reason).toContain('many');
    const [missing] = await stack.database.sql<{ n: string }[]>`select count(*) as n from company where px_account_id in ('acc-000007', 'acc-000107')`;
    expect(Number(missing!.n)).toBe(0);
  });

  it('lands user custom attributes typed on the company person', async () => {
    const rows = await stack.database.sql<{ px_user_id: string; beta_tester__gc: boolean; score__gc: number }[]>`
      select px_user_id, beta_tester__gc, score__gc from company_person`;
    const byUser = new Map(rows.map((r) => [r.px_user_id, r]));
    const typed = [...stack.px!.data.users()].filter((u) => byUser.has(u.identifyId));
    expect(typed.length).toBeGreaterThan(100);
    for (const user of typed) {
      expect(byUser.get(user.identifyId)).toEqual({ px_user_id: user.identifyId, beta_tester__gc: user.customAttributes.betaTester, score__gc: user.customAttributes.score });
    }
    const errors = await errorsOf(personRun);
    const wrongScore = errors.find((e) => e.source_id === 'user-0000017')!;
    expect(wrongScore.reason).toContain('customAttributes.score → score__gc');
    expect(wrongScore.reason).toContain('high');
    expect(byUser.has('user-0000017')).toBe(false);
  });
});
