// `npm run chaos [-- --users N] [--quick]`: faults against the real stack during Company Person
// Syncs, each followed by the same exact checks (see harness/verify.ts):
//   - the worker (its own process) killed with SIGKILL at a random page, a new one started;
//   - the source answering 503 for a minute, and storms of 429s;
//   - the worker's PostgreSQL connections terminated mid-run (pg_terminate_backend);
//   - PostgreSQL stopped as by a crash (pg_ctl -m immediate) mid-run and started again after a
//     few seconds: the run has a PostgreSQL server of its own for this (harness/private-postgres.ts),
//     made with the machine's initdb and pg_ctl, so nothing else on the machine is disturbed;
//   - the Temporal dev server stopped and started again on its port with its persistence file;
//   - poison (data-borne faults): PX accounts and users carrying values no column can hold, and a
//     Bulk API upload with such values, a line over the record bound and a quote never closed;
//     each run must end partial_success within two minutes with exactly those records failed,
//     everything else written, the watermark moved, and the next run clean.
// Exits non-zero when any check fails. --quick (CI): 2 kills, a 10 s outage, smaller storms;
// --only PATTERN runs the scenarios whose name matches PATTERN; --database NAME names the scratch
// database (default syncline_chaos; it goes with the run's own server at the end).
import { hasFlag, optionValue, positiveInteger } from './harness/args.js';
import type { Child } from './harness/children.js';
import { expectationOf, type Expected } from './harness/expectations.js';
import { call, connectPx, importNow, jobIdle, waitForRun, type RunDoc } from './harness/flow.js';
import { startPrivatePostgres, type PrivatePostgres } from './harness/private-postgres.js';
import { localPortsOf } from './harness/sockets.js';
import { startHarnessStack, type HarnessStack } from './harness/stack.js';
import { verifyRun, type Check } from './harness/verify.js';
import { poisonCsv } from './harness/poison-csv.js';

const argv = process.argv.slice(2);
const quick = hasFlag(argv, 'quick');
const users = positiveInteger(argv, 'users', 'CHAOS_USERS', 100_000);
const accounts = Math.max(1, Math.round(users / 20));
const seed = positiveInteger(argv, 'seed', 'CHAOS_SEED', 11);
const trials = positiveInteger(argv, 'trials', 'CHAOS_TRIALS', quick ? 2 : 5);
const outageSeconds = positiveInteger(argv, 'outage-seconds', 'CHAOS_OUTAGE_SECONDS', quick ? 10 : 60);
/** How long PostgreSQL stays down after its crash. */
const postgresDownSeconds = positiveInteger(argv, 'postgres-down-seconds', 'CHAOS_POSTGRES_DOWN_SECONDS', quick ? 3 : 10);
/**
 * A page activity's retries back off across its attempts (1 s doubling to 5 minutes) and a later
 * storm in the same activity carries on from there: two storms of 20 once took a run past 8
 * minutes. Storms of 8 show the behaviour without that wait.
 */
const stormSize = positiveInteger(argv, 'storm', 'CHAOS_STORM', quick ? 6 : 8);
/** Small pages give a run many points to fail at. */
const pageSize = positiveInteger(argv, 'page-size', 'CHAOS_PAGE_SIZE', quick ? 100 : 500);
const pages = Math.floor(users / pageSize) + 1;
const RUN_TIMEOUT_MS = 3600_000;
/** Runs only the scenarios whose name matches this pattern (the control run always). */
const only = optionValue(argv, 'only');
/** The run's database, on its own PostgreSQL server, which goes at the end with everything on it. */
const database = optionValue(argv, 'database') ?? 'syncline_chaos';

const started = Date.now();
const say = (line: string) => console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
const failures: string[] = [];
let checks = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

function checker(scenario: string): Check {
  return (what, ok, detail) => {
    checks++;
    console.log(`    ${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : `: ${detail ?? ''}`}`);
    if (!ok) failures.push(`${scenario}: ${what}: ${detail ?? ''}`);
  };
}

interface Context {
  postgres: PrivatePostgres;
  stack: HarnessStack;
  worker: Child;
  jobId: string;
  companySyncId: string;
  expected: Expected;
}

/** How long a run over poisoned data may take: bad values are record failures, never retried. */
const POISON_RUN_LIMIT_MS = 120_000;

/** Each scenario starts from an idle job, an empty target and a watermark that reads everything. */
async function reset(ctx: Context): Promise<void> {
  await jobIdle(ctx.stack, ctx.jobId, RUN_TIMEOUT_MS);
  await ctx.stack.database.sql`delete from company_person`;
  await ctx.stack.database.sql`delete from person`;
  const reset = await call(ctx.stack, 'POST', `/v1/jobs/${ctx.jobId}/reset-watermark`);
  if (reset.status !== 200) throw new Error(`reset-watermark answered ${reset.status}: ${JSON.stringify(reset.body)}`);
  await ctx.stack.sim.control('POST', 'faults', { reset: true });
  await ctx.stack.sim.control('POST', 'stats/reset');
}

async function committedPages(ctx: Context, runId: string): Promise<{ pages: number; status: string }> {
  const [row] = await ctx.stack.database.sql<{ pages: number; status: string }[]>`select pages, status from runs where id = ${runId}`;
  return row ?? { pages: 0, status: 'queued' };
}

/** Waits until the run has committed `pages` pages; fails if it ends first. */
async function untilPages(ctx: Context, runId: string, target: number): Promise<number> {
  for (;;) {
    const { pages: committed, status } = await committedPages(ctx, runId);
    if (committed >= target) return committed;
    if (!['queued', 'running'].includes(status)) throw new Error(`run ${runId} ended ${status} before page ${target}: the fault would land after it`);
    await sleep(25);
  }
}

async function finish(ctx: Context, runId: string, check: Check): Promise<RunDoc> {
  const run = await waitForRun(ctx.stack, runId, RUN_TIMEOUT_MS, 200);
  say(`run ended ${run.status} with ${JSON.stringify(run.counts)}; checking`);
  await verifyRun(ctx.stack, ctx.jobId, run, ctx.expected, check);
  return run;
}

const scenarios: { name: string; run: (ctx: Context, check: Check) => Promise<void> }[] = [
  {
    name: 'control: a run without faults',
    async run(ctx, check) {
      await finish(ctx, await importNow(ctx.stack, ctx.jobId), check);
    },
  },
  ...Array.from({ length: trials }, (_, i) => ({
    name: `worker killed with SIGKILL mid-run, trial ${i + 1} of ${trials}`,
    async run(ctx: Context, check: Check) {
      const runId = await importNow(ctx.stack, ctx.jobId);
      const at = randomInt(1, Math.max(1, pages - 2));
      const committed = await untilPages(ctx, runId, at);
      await sleep(randomInt(0, 300));
      const killed = ctx.worker.pid;
      await ctx.worker.kill('SIGKILL');
      say(`killed worker ${killed} with SIGKILL after ${committed} of ${pages} pages (aimed at page ${at})`);
      ctx.worker = await ctx.stack.startWorker({ pageSize });
      say(`replacement worker ${ctx.worker.pid} polling`);
      await finish(ctx, runId, check);
    },
  })),
  {
    name: `the source answers 503 for ${outageSeconds} s`,
    async run(ctx, check) {
      const runId = await importNow(ctx.stack, ctx.jobId);
      const committed = await untilPages(ctx, runId, Math.ceil(pages / 4));
      await ctx.stack.sim.control('POST', 'faults', { outage: { ms: outageSeconds * 1000 } });
      say(`source down (503) for ${outageSeconds} s after ${committed} pages`);
      await finish(ctx, runId, check);
      const stats = await ctx.stack.sim.control<{ byStatus: Record<string, number> }>('GET', 'stats');
      check('the source did answer 503 meanwhile', (stats.byStatus['503'] ?? 0) > 0, JSON.stringify(stats.byStatus));
    },
  },
  {
    name: `storms of ${stormSize} 429s, with and without Retry-After`,
    async run(ctx, check) {
      const runId = await importNow(ctx.stack, ctx.jobId);
      await untilPages(ctx, runId, Math.ceil(pages / 4));
      await ctx.stack.sim.control('POST', 'faults', { rateLimit: { count: stormSize, retryAfterSeconds: 1 } });
      say(`storm of ${stormSize} 429s with Retry-After: 1`);
      await untilPages(ctx, runId, Math.ceil(pages / 2));
      await ctx.stack.sim.control('POST', 'faults', { rateLimit: { count: stormSize } });
      say(`storm of ${stormSize} 429s without Retry-After`);
      await finish(ctx, runId, check);
      const stats = await ctx.stack.sim.control<{ byStatus: Record<string, number> }>('GET', 'stats');
      check(`the source answered all ${2 * stormSize} 429s and the run rode them out`, stats.byStatus['429'] === 2 * stormSize, JSON.stringify(stats.byStatus));
    },
  },
  {
    name: "the worker's PostgreSQL connections terminated mid-run",
    async run(ctx, check) {
      const runId = await importNow(ctx.stack, ctx.jobId);
      await untilPages(ctx, runId, Math.ceil(pages / 4));
      const postgresPort = Number(new URL(ctx.stack.databaseUrl).port || 5432);
      let terminated = 0;
      // Several rounds, so that some land inside a page's transaction rather than between pages.
      for (let round = 0; round < 10; round++) {
        const ports = localPortsOf(ctx.worker.pid, postgresPort);
        const sql = ctx.stack.database.sql;
        // Chosen first, terminated second: in one statement PostgreSQL may call
        // pg_terminate_backend before it has filtered the rows, and end everyone's backend.
        const backends = await sql<{ pid: number }[]>`
          select pid from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and client_port = any(${sql.array(ports)}::int[])`;
        const killed = await sql<{ done: boolean }[]>`
          select pg_terminate_backend(pid) as done from unnest(${sql.array(backends.map((b) => b.pid))}::int[]) as pid`;
        terminated += killed.filter((k) => k.done).length;
        await sleep(150);
      }
      say(`terminated ${terminated} of the worker's PostgreSQL connections over 10 rounds`);
      check("some of the worker's connections were terminated", terminated > 0, `${terminated}`);
      await finish(ctx, runId, check);
    },
  },
  {
    name: `PostgreSQL crashed mid-run and started again ${postgresDownSeconds} s later`,
    async run(ctx, check) {
      const runId = await importNow(ctx.stack, ctx.jobId);
      const committed = await untilPages(ctx, runId, Math.ceil(pages / 4));
      const before = await committedPages(ctx, runId);
      await ctx.postgres.crashAndRestart(postgresDownSeconds * 1000);
      say(`PostgreSQL stopped as by a crash after ${committed} pages, started again ${postgresDownSeconds} s later (recovered from its WAL)`);
      check('the crash came while the run was still reading', before.status === 'running' && before.pages < pages, JSON.stringify(before));
      await finish(ctx, runId, check);
    },
  },
  {
    name: 'the Temporal dev server restarted mid-run',
    async run(ctx, check) {
      const runId = await importNow(ctx.stack, ctx.jobId);
      const committed = await untilPages(ctx, runId, Math.ceil(pages / 4));
      const down = Date.now();
      await ctx.stack.restartTemporal();
      say(`Temporal dev server stopped after ${committed} pages and back after ${((Date.now() - down) / 1000).toFixed(1)} s (same port, same file)`);
      await finish(ctx, runId, check);
    },
  },
  {
    name: 'poison: PX accounts and users carrying values no column can hold',
    async run(ctx, check) {
      const { sql } = ctx.stack.database;
      await ctx.stack.sim.control('POST', 'poison', { on: true });
      try {
        // Company Sync reads every account again, so that it meets the poisoned ones.
        await sql`delete from company_person`;
        await sql`delete from company`;
        await call(ctx.stack, 'POST', `/v1/jobs/${ctx.companySyncId}/reset-watermark`);
        const expected = expectationOf({ users, accounts, seed, poison: true });
        say(`poisoned: ${expected.poisonedAccounts.length} accounts, ${expected.poisoned.length} users`);
        const started = Date.now();
        const run = await waitForRun(ctx.stack, await importNow(ctx.stack, ctx.jobId), POISON_RUN_LIMIT_MS, 200);
        const took = Date.now() - started;
        say(`run ended ${run.status} with ${JSON.stringify(run.counts)} in ${(took / 1000).toFixed(1)} s; checking`);
        check('the run ended within two minutes', took < POISON_RUN_LIMIT_MS, `${took} ms`);
        await verifyRun(ctx.stack, ctx.jobId, run, expected, check);

        const companyRuns = await call<{ items: RunDoc[] }>(ctx.stack, 'GET', `/v1/jobs/${ctx.companySyncId}/runs?limit=1`);
        const companyRun = companyRuns.body.items[0]!;
        check('Company Sync ended partial_success, failing exactly the poisoned accounts', companyRun.status === 'partial_success' && companyRun.counts.failed === expected.poisonedAccounts.length, `${companyRun.status} ${JSON.stringify(companyRun.counts)}`);
        const reasons = await sql<{ source_id: string; reason: string }[]>`select source_id, reason from run_errors where run_id in (${run.id}, ${companyRun.id})`;
        const reasonOf = new Map(reasons.map((r) => [r.source_id, r.reason]));
        const unnamed = [...expected.poisoned, ...expected.poisonedAccounts].filter((id) => !/^(firstName|signUpDate|email|numberOfUsers|name) → [a-z_]+: /.test(reasonOf.get(id) ?? ''));
        check('each poisoned record failed with a reason naming its field', unnamed.length === 0, `${unnamed.length} without: ${unnamed.slice(0, 3).map((id) => `${id}: ${reasonOf.get(id)}`).join('; ')}`);

        const next = await waitForRun(ctx.stack, await importNow(ctx.stack, ctx.jobId), POISON_RUN_LIMIT_MS, 200);
        check('the next Import Now is clean', next.status === 'success' && next.counts.failed === 0, `${next.status} ${JSON.stringify(next.counts)}`);
      } finally {
        await ctx.stack.sim.control('POST', 'poison', { on: false });
      }
    },
  },
  {
    name: 'poison: a Bulk API upload with bad values, a line over 1 MB and a quote never closed',
    async run(ctx, check) {
      const { sql } = ctx.stack.database;
      const connection = await call<{ id: string }>(ctx.stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Poisoned files', config: {} });
      const job = await call<{ id: string }>(ctx.stack, 'POST', '/v1/jobs', {
        connectionId: connection.body.id,
        name: 'Accounts from files',
        source: { object: 'file' },
        target: { object: 'company' },
        mappings: [
          { source: 'Account Id', target: 'px_account_id', upsertKey: true },
          { source: 'Name', target: 'name' },
          { source: 'Employees', target: 'employees' },
        ],
      });
      const upload = async (text: string, name: string): Promise<RunDoc> => {
        const answer = await ctx.stack.app.inject({ method: 'POST', url: `/v1/bulk/jobs/${job.body.id}/files?name=${name}`, headers: { authorization: `Bearer ${ctx.stack.token}`, 'content-type': 'text/csv' }, payload: text });
        if (answer.statusCode !== 202) throw new Error(`the upload answered ${answer.statusCode}: ${answer.body}`);
        return waitForRun(ctx.stack, (JSON.parse(answer.body) as { runId: string }).runId, POISON_RUN_LIMIT_MS, 200);
      };
      const rows = Math.max(1_000, users);
      const file = poisonCsv(rows, Math.max(20, Math.floor(rows / 25)));
      const started = Date.now();
      const run = await upload(file.text, 'poison.csv');
      const took = Date.now() - started;
      say(`upload of ${rows} lines, ${file.bad.size} poisoned, ended ${run.status} with ${JSON.stringify(run.counts)} in ${(took / 1000).toFixed(1)} s; checking`);
      check('the run ended partial_success within two minutes', run.status === 'partial_success' && took < POISON_RUN_LIMIT_MS, `${run.status} in ${took} ms`);
      check(`the counts are exact: ${rows} fetched, ${file.good.size} inserted, ${file.bad.size} failed`, run.counts.fetched === rows && run.counts.inserted === file.good.size && run.counts.failed === file.bad.size, JSON.stringify(run.counts));
      const errors = await sql<{ source_id: string; reason: string }[]>`select source_id, reason from run_errors where run_id = ${run.id}`;
      const wrong = [...file.bad].filter(([line, reason]) => !reason.test(errors.find((e) => e.source_id === `poison.csv line ${line}`)?.reason ?? ''));
      check(`the errors file lists exactly the ${file.bad.size} poisoned lines, each with its reason`, errors.length === file.bad.size && wrong.length === 0, `${errors.length} rows; ${wrong.length} lines missing or with another reason, e.g. line ${wrong[0]?.[0]}`);
      const landed = await sql<{ px_account_id: string; name: string }[]>`select px_account_id, name from company where px_account_id like 'csv-%'`;
      const wrongRows = landed.filter((r) => file.good.get(r.px_account_id) !== r.name).length;
      check(`every other line landed once, as written (${file.good.size})`, landed.length === file.good.size && wrongRows === 0, `${landed.length} rows, ${wrongRows} wrong`);
      const next = await upload('Account Id,Name,Employees\ncsv-clean,Clean,1\n', 'clean.csv');
      check('the next upload is clean', next.status === 'success' && next.counts.failed === 0, `${next.status} ${JSON.stringify(next.counts)}`);
      await sql`delete from company where px_account_id like 'csv-%'`;
    },
  },
];

async function main(): Promise<number> {
  say(`${users} users, ${accounts} accounts, seed ${seed}, pages of ${pageSize} (${pages} a run)${quick ? ', quick' : ''}`);
  const expected = expectationOf({ users, accounts, seed });
  say(`expected from the dataset: ${expected.pairs.size} company persons, ${expected.persons.size} persons, ${expected.filtered} filtered, ${expected.unplaceable.length} failed`);
  const postgres = await startPrivatePostgres(say);
  // The stack stops the server with itself, also when interrupted, and when it fails to start.
  const stack = await startHarnessStack({ database, adminUrl: postgres.adminUrl, alsoStop: () => postgres.stop(), px: { users, accounts, seed }, log: say });
  try {
    const worker = await stack.startWorker({ pageSize });
    const jobs = await connectPx(stack);
    const ctx: Context = { postgres, stack, worker, jobId: jobs.companyPersonSync, companySyncId: jobs.companySync, expected };
    for (const scenario of scenarios.filter((s, i) => i === 0 || only === undefined || new RegExp(only).test(s.name))) {
      say(`scenario: ${scenario.name}`);
      const check = checker(scenario.name);
      try {
        await reset(ctx);
        await scenario.run(ctx, check);
      } catch (error) {
        check('the scenario ran to its end', false, error instanceof Error ? error.message : String(error));
        console.error(error);
        if (ctx.worker.exited()) ctx.worker = await stack.startWorker({ pageSize });
      }
    }
  } finally {
    await stack.stop();
  }
  say(`${checks - failures.length} of ${checks} checks passed`);
  for (const failure of failures) console.log(`FAILED: ${failure}`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
