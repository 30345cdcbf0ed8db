// `npm run bench [-- --users N] [--profile]`: Syncline's throughput and footprint on the real stack.
//
// 1. End to end: Import Now of Company Sync (key px_account_id), then of Company Person Sync over
//    N users and N/20 accounts, then Import Now again with nothing changed, all through the API,
//    with the worker, the PX simulator and the Temporal dev server in processes of their own.
// 2. The source alone: every user read page by page, nothing written.
// 3. Direct: the same two runs with the engine's page loop called in one process (started with the
//    worker's node flags), no Temporal.
// 4. The database's ceiling: the rows of 3 written again with the engine's statement shape.
//
// Progress goes to stderr; stdout gets a table and, as its last line, the figures as JSON.
// N comes from --users, else BENCH_USERS, else 1,000,000. The worker runs compiled (as
// `npm run build` makes it, into .data/bench-dist), or from the sources through tsx with --tsx.
// --profile writes the worker's CPU profile to .data/profiles (scripts/profile-summary.ts
// summarises it); the worker gets docker-compose.yml's node flags, or --worker-flags="...".
import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { hasFlag, optionValue, positiveInteger } from './harness/args.js';
import { measureCeiling } from './harness/ceiling.js';
import { cpuBetween, cpuSeconds, processCpuSeconds, type CpuParts } from './harness/cpu.js';
import { peakRssMb, ROOT, spawnTs } from './harness/children.js';
import type { runDirect } from './harness/direct.js';
import { connectPx, importNow, waitForRun, type RunDoc } from './harness/flow.js';
import { measureHistories } from './harness/histories.js';
import { readAllUsers } from './harness/source.js';
import { buildWorker, DEPLOYED_WORKER_FLAGS } from './harness/worker.js';
import { dropDatabase, freshDatabase, startHarnessStack, type HarnessStack } from './harness/stack.js';

const argv = process.argv.slice(2);
const users = positiveInteger(argv, 'users', 'BENCH_USERS', 1_000_000);
const accounts = Math.max(1, Math.round(users / 20));
const profile = hasFlag(argv, 'profile');
const tsx = hasFlag(argv, 'tsx');
/** Node flags for the worker: as deployed unless --worker-flags="..." says otherwise. */
const workerFlags = (optionValue(argv, 'worker-flags') ?? DEPLOYED_WORKER_FLAGS.join(' ')).split(' ').filter((flag) => flag !== '');
const NOOP_REPEATS = 3;
/** Generous: a slow machine may take an hour over a million users. */
const RUN_TIMEOUT_MS = 3 * 3600_000;

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const perSecond = (records: number, ms: number) => Math.round((records * 1000) / ms);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timedImportNow(stack: HarnessStack, jobId: string, what: string, cpu?: () => CpuParts): Promise<{ run: RunDoc; ms: number; cpu: CpuParts | null }> {
  const cpuBefore = cpu?.();
  const started = performance.now();
  const run = await waitForRun(stack, await importNow(stack, jobId), RUN_TIMEOUT_MS);
  const ms = performance.now() - started;
  const used = cpu && cpuBefore ? cpuBetween(cpuBefore, cpu()) : null;
  if (run.status !== 'success' && run.status !== 'partial_success') throw new Error(`${what} ended ${run.status}: ${JSON.stringify(run.error)}`);
  log(`${what}: ${run.status} in ${(ms / 1000).toFixed(2)} s, counts ${JSON.stringify(run.counts)}${used ? `, CPU s ${JSON.stringify(used)}` : ''}`);
  return { run, ms, cpu: used };
}

async function main(): Promise<void> {
  log(`${users} users, ${accounts} accounts; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const stack = await startHarnessStack({ database: 'syncline_bench', px: { users, accounts, seed: 1 }, log });
  try {
    const profileDir = join(ROOT, '.data', 'profiles');
    if (profile) await mkdir(profileDir, { recursive: true });
    // The worker as deployed (compiled, plain node), unless --tsx asks for the sources.
    const compiled = tsx ? undefined : await buildWorker('bench-dist', log);
    const worker = await stack.startWorker({
      ...(compiled ? { compiled } : {}),
      nodeArgs: [...workerFlags, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    });
    log(`worker process ${worker.pid} polling`);

    const jobs = await connectPx(stack);
    const company = await timedImportNow(stack, jobs.companySync, 'Company Sync');
    const cpu = () => cpuSeconds({ worker: worker.pid, simulator: stack.sim.child.pid });
    const companyPerson = await timedImportNow(stack, jobs.companyPersonSync, 'Company Person Sync', cpu);
    if (companyPerson.run.counts.fetched !== users) throw new Error(`Company Person Sync fetched ${companyPerson.run.counts.fetched} users of ${users}`);
    const noops: number[] = [];
    for (let i = 0; i < NOOP_REPEATS; i++) {
      const noop = await timedImportNow(stack, jobs.companyPersonSync, 'Import Now, nothing changed');
      if (noop.run.counts.fetched !== 0) throw new Error(`an Import Now with nothing changed fetched ${noop.run.counts.fetched} records`);
      noops.push(noop.ms);
    }
    const workerPeakRssMB = peakRssMb(worker.pid);
    log(`worker peak RSS ${workerPeakRssMB.toFixed(0)} MB`);
    const histories = await measureHistories(stack.temporal, ['job:']);
    await worker.stop(120_000);
    if (profile) log(`worker CPU profile written to ${profileDir}`);

    log('reading every user from the source alone');
    const source = await readAllUsers(stack.sim.url, stack.sim.apiKey);

    log(`direct: the same runs without Temporal, into syncline_bench_direct, in a process with the worker's flags (${workerFlags.join(' ') || 'none'})`);
    const directUrl = await freshDatabase('syncline_bench_direct');
    const directProcess = spawnTs('scripts/harness/direct-process.ts', { DIRECT_DATABASE_URL: directUrl, DIRECT_PX_URL: stack.sim.url, DIRECT_PX_KEY: stack.sim.apiKey }, workerFlags);
    const directLine = await directProcess.waitFor(/^DIRECT_RESULT /, RUN_TIMEOUT_MS);
    // Both runs, Company Sync and Company Person Sync, and the process's start.
    const directCpuSeconds = Math.round(processCpuSeconds(directProcess.pid) * 100) / 100;
    await directProcess.stop();
    const direct = JSON.parse(directLine.slice('DIRECT_RESULT '.length)) as Awaited<ReturnType<typeof runDirect>>;
    const same = (a: RunDoc['counts'], b: RunDoc['counts']) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(direct.companyPersonSync.result.counts, companyPerson.run.counts)) {
      throw new Error(`direct counts ${JSON.stringify(direct.companyPersonSync.result.counts)} differ from end to end ${JSON.stringify(companyPerson.run.counts)}`);
    }
    log(`direct Company Person Sync: ${(direct.companyPersonSync.ms / 1000).toFixed(2)} s; the direct process used ${directCpuSeconds} s of CPU in all`);

    log("the database's ceiling, into syncline_bench_ceiling");
    const ceilingUrl = await freshDatabase('syncline_bench_ceiling');
    const ceiling = await measureCeiling(directUrl, ceilingUrl, users);
    await dropDatabase('syncline_bench_ceiling');
    await dropDatabase('syncline_bench_direct');

    const runHistories = histories.filter((h) => h.workflowId.includes(':run:'));
    const cpsHistory = runHistories.find((h) => h.workflowId === companyPerson.run.workflowId);
    const figures = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      worker: `${compiled ? 'compiled' : 'tsx'}${workerFlags.length ? ` ${workerFlags.join(' ')}` : ''}`,
      users,
      accounts,
      records: users,
      companySyncMs: Math.round(company.ms),
      e2eMs: Math.round(companyPerson.ms),
      e2eRecordsPerSec: perSecond(users, companyPerson.ms),
      directMs: Math.round(direct.companyPersonSync.ms),
      directRecordsPerSec: perSecond(users, direct.companyPersonSync.ms),
      overheadRatio: Number((companyPerson.ms / direct.companyPersonSync.ms).toFixed(3)),
      sourceRecordsPerSec: perSecond(source.records, source.ms),
      dbCeilingRecordsPerSec: perSecond(users, ceiling.ms),
      noopImportNowMs: Math.round(median(noops)),
      noopImportNowRunsMs: noops.map(Math.round),
      workerPeakRssMB: Math.round(workerPeakRssMB),
      maxPayloadBytes: Math.max(0, ...histories.map((h) => h.maxPayloadBytes)),
      historyEventsPerRun: cpsHistory?.events ?? null,
      maxHistoryEventsPerRun: Math.max(0, ...runHistories.map((h) => h.events)),
      maxHistoryEventsPerJobWorkflow: Math.max(0, ...histories.filter((h) => !h.workflowId.includes(':run:')).map((h) => h.events)),
      counts: companyPerson.run.counts,
      // CPU seconds each part of the stack spent during the Company Person run, and the share of
      // the machine's cores (cores × wall time) they add up to.
      e2eCpuSeconds: companyPerson.cpu,
      directProcessCpuSeconds: directCpuSeconds,
      e2eMachineBusy: companyPerson.cpu ? Number((Object.values(companyPerson.cpu).reduce((a, b) => a + b, 0) / ((cpus().length * companyPerson.ms) / 1000)).toFixed(2)) : null,
    };
    printTable(figures, histories.length);
    console.log(JSON.stringify(figures));
  } finally {
    await stack.stop();
  }
}

function printTable(f: Record<string, unknown>, histories: number): void {
  const rows: [string, string, string][] = [
    ['records (Company Person Sync, users)', String(f.records), ''],
    ['end to end (Import Now → run finished)', `${f.e2eRecordsPerSec} records/s`, `${f.e2eMs} ms`],
    ['direct (same code, no Temporal)', `${f.directRecordsPerSec} records/s`, `${f.directMs} ms`],
    ['overhead ratio (end to end / direct)', String(f.overheadRatio), 'goal ≤ 1.15'],
    ['source alone (read every user page)', `${f.sourceRecordsPerSec} records/s`, ''],
    ['database ceiling (same rows, same SQL)', `${f.dbCeilingRecordsPerSec} records/s`, ''],
    ['Company Sync (accounts)', `${f.accounts} accounts`, `${f.companySyncMs} ms`],
    ['Import Now, nothing changed (median)', `${f.noopImportNowMs} ms`, `runs ${JSON.stringify(f.noopImportNowRunsMs)}; goal < 1000`],
    ['worker peak RSS', `${f.workerPeakRssMB} MB`, 'goal < 300'],
    ['largest payload in history', `${f.maxPayloadBytes} bytes`, `${histories} histories; goal ≤ 65536`],
    ['history events, the Company Person run', String(f.historyEventsPerRun), `largest run: ${f.maxHistoryEventsPerRun}, job workflows ≤ ${f.maxHistoryEventsPerJobWorkflow}`],
  ];
  const cpu = f.e2eCpuSeconds as CpuParts | null;
  if (cpu) {
    for (const [part, seconds] of Object.entries(cpu)) rows.push([`CPU during the Company Person run: ${part}`, `${seconds.toFixed(1)} s`, '']);
    rows.push(['machine busy during it (CPU s / cores × wall s)', `${Math.round(Number(f.e2eMachineBusy) * 100)} %`, '']);
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(...rows.map((r) => r[1].length));
  console.log(`Syncline benchmark, ${f.date}, ${f.machine}`);
  for (const [name, value, note] of rows) console.log(`  ${name.padEnd(width)}  ${value.padStart(valueWidth)}  ${note}`);
}

await main();
