// A value the target cannot hold is one record's failure, never a stalled job: the run ends
// partial_success in seconds, the failure names the field and what is wrong with the value, every
// other record is written, the watermark moves, and the next run is clean.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountPoison, userPoison } from '../connectors/gainsight-px/simulator/poison.js';
import type { PxAccount, PxUser } from '../connectors/gainsight-px/simulator/index.js';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';

interface ErrorRow {
  source_id: string;
  key_values: string;
  reason: string;
  record: string;
}

describe('records carrying values the platform cannot store', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let accounts: PxAccount[];
  let users: PxUser[];
  let companyRun: RunDoc;
  let personRun: RunDoc;

  const failures = async (run: RunDoc): Promise<ErrorRow[]> => {
    const answer = await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`);
    expect(answer.status).toBe(200);
    return parse(answer.text, { columns: true }) as ErrorRow[];
  };
  const state = async (job: JobDoc) => (await api<{ watermark: string | null; running: string | null }>(stack, 'GET', `/v1/jobs/${job.id}/state`)).body;
  const syncAll = async (job: JobDoc): Promise<RunDoc> => {
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/import-from-date`, { from: '1970-01-01T00:00:00.000Z' });
    expect(triggered.status, triggered.text).toBe(202);
    return waitForRun(stack, triggered.body.runId);
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 60, users: 1000, seed: 5, poison: true }, pageSize: 100 });
    ({ companySync, companyPersonSync } = await connectPx(stack));
    companySync = await chooseAccountIdKey(stack, companySync);
    accounts = [...stack.px!.data.accounts()];
    users = [...stack.px!.data.users()];
    personRun = await importNow(stack, companyPersonSync.id);
    const runs = await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs`);
    companyRun = runs.body.items[0]!;
  });
  afterAll(async () => stack?.stop());

  it('an account whose values no column holds fails alone, naming the field; the other companies are written', async () => {
    const poisoned = accounts.filter((_a, i) => accountPoison(i) !== undefined);
    expect(poisoned.length).toBeGreaterThan(0);
    expect(companyRun.status).toBe('partial_success');
    expect(companyRun.counts).toMatchObject({ fetched: 60, inserted: 60 - poisoned.length, failed: poisoned.length });
    const rows = await failures(companyRun);
    expect(rows.map((r) => r.source_id).sort()).toEqual(poisoned.map((a) => a.id).sort());
    const reasonOf = (id: string) => rows.find((r) => r.source_id === id)!.reason;
    const tooMany = accounts.find((_a, i) => accountPoison(i) === 'usersBeyondInteger')!;
    expect(reasonOf(tooMany.id)).toBe('numberOfUsers → number_of_users: expected a whole number from -2147483648 to 2147483647, got 3000000000');
    const nul = accounts.find((_a, i) => accountPoison(i) === 'nulInName')!;
    expect(reasonOf(nul.id)).toMatch(/^name → name: the text ".*" holds a NUL character \(U\+0000\), which no field can store/);
    const [written] = await stack.database.sql<{ n: string }[]>`select count(*) as n from company`;
    expect(Number(written!.n)).toBe(60 - poisoned.length);
  });

  it('a user whose values no column holds fails alone, named by the field; its failed record is kept, U+0000 shown as U+FFFD', async () => {
    const companies = new Set(accounts.filter((_a, i) => accountPoison(i) === undefined).map((a) => a.id));
    const withEmail = users.filter((u) => u.email !== undefined);
    const poisoned = users.filter((u, i) => u.email !== undefined && userPoison(i) !== undefined && userPoison(i) !== 'nulInUnmappedAttribute');
    const unplaceable = withEmail.filter((u) => !poisoned.includes(u) && (u.accountId === undefined || !companies.has(u.accountId)));
    expect(personRun.status).toBe('partial_success');
    expect(personRun.counts.failed).toBe(poisoned.length + unplaceable.length);
    expect(personRun.counts.fetched).toBe(1000);
    const rows = await failures(personRun);
    const reasonOf = (kind: string) => rows.find((r) => r.source_id === users.find((_u, i) => userPoison(i) === kind)!.identifyId)!.reason;
    expect(reasonOf('nulInFirstName')).toMatch(/^firstName → first_name: the text ".*" holds a NUL character/);
    expect(reasonOf('signUpAfterYear9999')).toBe('signUpDate → sign_up_date: expected a date and time between the years 1 and 9999, got 253402300800000');
    expect(reasonOf('emailTooLongForIndex')).toMatch(/^email → email: the text is \d+ bytes long; this field is indexed and holds at most 2000 bytes$/);
    const kept = rows.find((r) => r.source_id === users.find((_u, i) => userPoison(i) === 'nulInUnmappedAttribute')!.identifyId)!;
    expect(kept.reason).toMatch(/no company record matches/);
    expect(JSON.parse(kept.record).customAttributes.plan).toBe('gold\uFFFD');
    const [persons] = await stack.database.sql<{ n: string }[]>`select count(*) as n from company_person`;
    expect(Number(persons!.n)).toBeGreaterThan(0);
  });

  it('the watermarks moved past the bad records, so the next Import Now is clean', async () => {
    expect((await state(companyPersonSync)).watermark).toBe(personRun.window.to);
    const next = await importNow(stack, companyPersonSync.id);
    expect(next.status).toBe('success');
    expect(next.counts.failed).toBe(0);
  });

  it('reading the same records again reports them unchanged, even two users that share one company person', async () => {
    const again = await syncAll(companyPersonSync);
    expect(again.counts).toMatchObject({ inserted: 0, updated: 0, failed: personRun.counts.failed });
    expect(again.counts.unchanged).toBe(personRun.counts.inserted + personRun.counts.updated);
  });

  it('what PostgreSQL refuses anyway (here a CHECK constraint) fails only the records it refuses; the rest of their page is written', async () => {
    const victim = accounts.find((_a, i) => i > 0 && i < 50 && accountPoison(i) === undefined)!;
    await stack.database.sql`truncate company, person, company_person cascade`;
    await stack.database.sql.unsafe(`alter table company add constraint no_reserved_name check (name is distinct from '${victim.name.replaceAll("'", "''")}')`);
    try {
      const started = Date.now();
      const run = await syncAll(companySync);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(run.status).toBe('partial_success');
      const refused = (await failures(run)).find((r) => r.source_id === victim.id);
      expect(refused?.reason).toMatch(/^the database refused the record: new row for relation "company" violates check constraint "no_reserved_name"/);
      const [written] = await stack.database.sql<{ n: string }[]>`select count(*) as n from company`;
      expect(Number(written!.n)).toBe(run.counts.inserted);
      expect(run.counts.inserted).toBe(60 - run.counts.failed);
    } finally {
      await stack.database.sql.unsafe('alter table company drop constraint no_reserved_name');
    }
  });
});
