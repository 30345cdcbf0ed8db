// The benchmark's peer (`npm run bench -- --peer dlt`) at a size CI affords: the dlt pipeline does
// Company Person Sync's job on the same simulator data and writes what Syncline writes, and the
// bench's check refuses a peer that wrote anything else. dlt is installed into .tools/dlt on first
// use (about a minute), as the bench installs it.
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serverCpuSeconds } from '../scripts/harness/cpu.js';
import { expectationOf } from '../scripts/harness/expectations.js';
import { checkSameWork, installDlt, peerWritten, runDltPeer, synclineWritten, type PeerRun } from '../scripts/harness/peer-dlt.js';
import { dropDatabase, emptyDatabase } from '../scripts/harness/stack.js';
import { chooseAccountIdKey, connectPx, importNow, waitForRun, type RunDoc } from './support/px-flow.js';
import { api, PX_KEY, startStack, type Stack } from './support/stack.js';

const DATA = { users: 2000, accounts: 100, seed: 5 };
const peerDatabase = `syncline_test_peer_${randomBytes(4).toString('hex')}`;

let stack: Stack;
let peerUrl: string;
let syncline: RunDoc;
let peer: PeerRun;

beforeAll(async () => {
  await installDlt(() => undefined);
  stack = await startStack({ px: DATA });
  const { companySync, companyPersonSync } = await connectPx(stack);
  await chooseAccountIdKey(stack, companySync);
  // Company Sync runs first, as Company Person Sync's dependency: the peer reads its companies.
  syncline = await importNow(stack, companyPersonSync.id);
  peerUrl = await emptyDatabase(peerDatabase);
  peer = await runDltPeer({
    pxUrl: stack.px!.url,
    pxKey: PX_KEY,
    companiesUrl: stack.databaseUrl,
    databaseUrl: peerUrl,
    // The simulator runs inside this test's process.
    simulatorPid: process.pid,
    timeoutMs: 120_000,
  });
}, 300_000);
afterAll(async () => {
  await dropDatabase(peerDatabase);
  await stack?.stop();
});

it('the dlt pipeline reads every user and writes exactly the persons, company persons and failures the dataset calls for', async () => {
  const expected = expectationOf(DATA);
  expect(peer.fetched).toBe(DATA.users);
  expect(peer.filtered).toBe(expected.filtered);
  expect(peer.failed).toBe(expected.unplaceable.length);
  expect(peer.companies).toBe(expected.companies.size);
  const written = await peerWritten(peerUrl);
  expect(written.person.rows).toBe(expected.persons.size);
  expect(written.companyPerson.rows).toBe(expected.pairs.size);
  expect(written.failed).toBe(expected.unplaceable.length);
  expect(peer.steps.load.ms).toBeGreaterThan(0);
  expect(peer.cpu.dlt).toBeGreaterThan(0);
});

it("the peer's rows equal Company Person Sync's, row for row", async () => {
  expect(syncline.status).toBe('partial_success');
  const ours = await synclineWritten(stack.databaseUrl, syncline.counts.failed);
  const theirs = await peerWritten(peerUrl);
  expect(theirs).toEqual(ours);
  expect(() => checkSameWork(ours, theirs)).not.toThrow();
});

it("the peer's failures carry Syncline's reasons, word for word", async () => {
  const ours = await stack.database.sql<{ id: string; reason: string }[]>`select source_id as id, reason from run_errors where run_id = ${syncline.id} order by 1`;
  const sql = postgres(peerUrl, { max: 1, onnotice: () => undefined });
  try {
    const theirs = await sql<{ id: string; reason: string }[]>`select px_user_id as id, reason from px.failed_users order by 1`;
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.map((r) => ({ ...r }))).toEqual(ours.map((r) => ({ ...r })));
  } finally {
    await sql.end();
  }
});

it('the bench fails loudly when the peer wrote fewer rows, other content or other failures than Syncline', async () => {
  const ours = await synclineWritten(stack.databaseUrl, syncline.counts.failed);
  const sql = postgres(peerUrl, { max: 1, onnotice: () => undefined });
  try {
    const check = async () => {
      const theirs = await peerWritten(peerUrl);
      return () => checkSameWork(ours, theirs);
    };
    await sql`update px.company_person set px_user_id = 'someone-else' where px_user_id = (select min(px_user_id) from px.company_person)`;
    expect(await check()).toThrow(/company_person: the same \d+ rows, but their content differs/);
    await sql`delete from px.person where email_key = (select min(email_key) from px.person)`;
    expect(await check()).toThrow(/person: the peer wrote \d+ rows, Syncline \d+/);
    await sql`delete from px.failed_users where px_user_id = (select min(px_user_id) from px.failed_users)`;
    expect(await check()).toThrow(/failures: the peer stored \d+, Syncline \d+/);
  } finally {
    await sql.end();
  }
});

it("PostgreSQL's CPU counts the connections that ended meanwhile, as the peer's all do before it is measured", async () => {
  const before = serverCpuSeconds().postgres;
  const sql = postgres(peerUrl, { max: 1, onnotice: () => undefined });
  await sql`select count(*) from generate_series(1, 3000000)`;
  await sql.end();
  // Its backend is gone now; the postmaster reaped it and holds its CPU time.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(serverCpuSeconds().postgres - before).toBeGreaterThan(0.2);
});

it("a user whose account two companies carry fails in the peer with Syncline's reason", async () => {
  const { sql } = stack.database;
  const [account] = await sql<{ px_account_id: string }[]>`select px_account_id from company order by px_account_id limit 1`;
  await sql`insert into company (gsid, name, px_account_id) values (${randomUUID()}, 'A second company of one account', ${account!.px_account_id})`;
  const from = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${syncline.jobId}/import-from-date`, { from: '1970-01-01T00:00:00Z' });
  expect(from.status, from.text).toBe(202);
  const again = await waitForRun(stack, from.body.runId);
  const ours = await sql<{ id: string; reason: string }[]>`select source_id as id, reason from run_errors where run_id = ${again.id} and reason like '%2 company records match%' order by 1`;
  expect(ours.length).toBeGreaterThan(0);

  const secondUrl = await emptyDatabase(`${peerDatabase}_2`);
  try {
    await runDltPeer({ pxUrl: stack.px!.url, pxKey: PX_KEY, companiesUrl: stack.databaseUrl, databaseUrl: secondUrl, simulatorPid: process.pid, timeoutMs: 120_000 });
    const peerSql = postgres(secondUrl, { max: 1, onnotice: () => undefined });
    try {
      const theirs = await peerSql<{ id: string; reason: string }[]>`select px_user_id as id, reason from px.failed_users where reason like '%2 company records match%' order by 1`;
      expect(theirs.map((r) => ({ ...r }))).toEqual(ours.map((r) => ({ ...r })));
    } finally {
      await peerSql.end();
    }
  } finally {
    await dropDatabase(`${peerDatabase}_2`);
  }
});
