// Dependent jobs run first: Company Person Sync needs the companies Company Sync brings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc, type RunDoc } from './support/px-flow.js';

interface TimedRun extends RunDoc {
  startedAt: string | null;
  finishedAt: string | null;
}

describe('Dependencies run before the job that needs them', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;

  const runsOf = async (job: JobDoc) => (await api<{ items: TimedRun[] }>(stack, 'GET', `/v1/jobs/${job.id}/runs`)).body.items;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 100, users: 200, seed: 4 }, pageSize: 40 });
    ({ companySync, companyPersonSync } = await connectPx(stack));
    companySync = await chooseAccountIdKey(stack, companySync);
  });
  afterAll(async () => stack?.stop());

  it('Import Now on Company Person Sync first runs Company Sync, to its end, as a dependency', async () => {
    stack.px!.stats.reset();
    const dependent = (await importNow(stack, companyPersonSync.id)) as TimedRun;
    expect(dependent.status).toBe('partial_success');

    const [dependency] = await runsOf(companySync);
    expect(dependency).toMatchObject({ trigger: 'dependency', status: 'success' });
    expect(dependency!.counts.inserted).toBe(100);
    expect(dependency!.startedAt! >= dependent.startedAt!).toBe(true);
    expect(dependency!.finishedAt! <= dependent.finishedAt!).toBe(true);
    // Every account page was read before the first user page.
    const paths = stack.px!.stats.queries.map((q) => q.path);
    expect(paths.lastIndexOf('/v1/accounts')).toBeLessThan(paths.indexOf('/v1/users'));

    // So every user whose account exists found its company.
    const withCompany = [...stack.px!.data.users()].filter((u) => u.email !== undefined && u.accountId !== undefined && stack.px!.data.findAccount(u.accountId));
    expect(dependent.counts.failed).toBe([...stack.px!.data.users()].filter((u) => u.email !== undefined).length - withCompany.length);
    const [linked] = await stack.database.sql<{ count: number }[]>`select count(*)::int as count from company_person where company_id is not null`;
    expect(linked!.count).toBeGreaterThan(0);
  });

  it('a failed dependency fails the dependent run, naming the dependency, and the dependent reads nothing', async () => {
    // Without an upsert key Company Sync cannot run.
    const broken = await api(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { mappings: companySync.mappings.map((m) => ({ ...m, upsertKey: false })) });
    expect(broken.status, broken.text).toBe(200);
    stack.px!.stats.reset();

    const dependent = await importNow(stack, companyPersonSync.id);
    expect(dependent.status).toBe('failure');
    expect(dependent.error?.code).toBe('DEPENDENCY_FAILED');
    expect(dependent.error?.message).toContain(companySync.name);
    expect(dependent.counts.fetched).toBe(0);
    expect(stack.px!.stats.listRequests['/v1/users'] ?? 0).toBe(0);

    const [dependency] = await runsOf(companySync);
    expect(dependency).toMatchObject({ trigger: 'dependency', status: 'failure' });
    expect(dependency!.error?.message).toContain('upsert key');
  });
});
