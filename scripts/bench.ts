// `npm run bench [-- --users N] [--rounds R] [--profile] [--peer dlt]`: Syncline's throughput and
// footprint on the real stack, and beside it, with --peer dlt, the same job done by dlt.
//
// 1. End to end: Import Now of Company Sync (key px_account_id), then of Company Person Sync over
//    N users and N/20 accounts, then Import Now again with nothing changed, all through the API,
//    with the worker, the PX simulator and the Temporal dev server in processes of their own.
// 2. The source alone: every user read page by page, nothing written.
// 3. Direct: the same two runs with the engine's page loop called in one process (started with the
//    worker's node flags), no Temporal. With --rounds R, 1 and 3 alternate R times (Company Person
//    Sync again from empty targets) and their medians are the figures: on a small shared machine
//    a single pair can differ by 30% either way.
// 4. The database's ceiling: the rows of 3 written again with the engine's statement shape, and
//    again through COPY (what loading pages with COPY could buy at most).
// 5. With --peer dlt, in every round after 1 and 3: Company Person Sync as a dlt pipeline
//    (scripts/peers/dlt_company_person.py, installed into .tools/dlt on first use) on the same
//    simulator data, reading the companies 1 wrote, into a database of its own; its persons,
//    company persons and failures must equal Syncline's, or the bench fails. Its median, the ratio
//    Syncline / dlt, the CPU each side used and what each does that the other does not are printed.
//
// Progress goes to stderr; stdout gets a table and, as its last line, the figures as JSON.
// N comes from --users, else BENCH_USERS, else 1,000,000. The worker runs compiled (as
// `npm run build` makes it, into .data/bench-dist), or from the sources through tsx with --tsx.
// --profile writes the worker's CPU profile to .data/profiles (scripts/profile-summary.ts
// summarises it); the worker gets docker-compose.yml's node flags, or --worker-flags="...".
// `--jobs K --workers W` measures something else: N users split over K independent jobs on W
// worker processes against the one PostgreSQL, their aggregate records/s (harness/scale.ts).
import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { hasFlag, optionValue, positiveInteger } from './harness/args.js';
import { measureCeiling } from './harness/ceiling.js';
import { cpuBetween, cpuSeconds, processCpuSeconds, type CpuParts } from './harness/cpu.js';
import { peakRssMb, ROOT, spawnTs } from './harness/children.js';
import type { runDirect } from './harness/direct.js';
import { call, connectPx, importNow, waitForRun, type RunDoc } from './harness/flow.js';
import { measureHistories } from './harness/histories.js';
import { checkSameWork, FAIRNESS_NOTES, installDlt, peerWritten, runDltPeer, synclineWritten, WORK_DIFFERENCES, type PeerRun, type Written } from './harness/peer-dlt.js';
import { readAllUsers } from './harness/source.js';
import { buildWorker, DEPLOYED_WORKER_FLAGS } from './harness/worker.js';
import { dropDatabase, emptyDatabase, freshDatabase, startHarnessStack, type HarnessStack } from './harness/stack.js';
import { runScale } from './harness/scale.js';

const argv = process.argv.slice(2);
const users = positiveInteger(argv, 'users', 'BENCH_USERS', 1_000_000);
const accounts = Math.max(1, Math.round(users / 20));
const profile = hasFlag(argv, 'profile');
const tsx = hasFlag(argv, 'tsx');
/** Node flags for the worker: as deployed unless --worker-flags="..." says otherwise. */
const workerFlags = (optionValue(argv, 'worker-flags') ?? DEPLOYED_WORKER_FLAGS.join(' ')).split(' ').filter((flag) => flag !== '');
const NOOP_REPEATS = 3;
/** End to end and direct, alternately, this many times each; the figures are their medians. */
const rounds = positiveInteger(argv, 'rounds', 'BENCH_ROUNDS', 1);
/** A peer that does the same job beside Syncline; dlt is the one there is. */
const peer = optionValue(argv, 'peer');
if (peer !== undefined && peer !== 'dlt') throw new Error(`--peer ${peer}: the peer the bench knows is dlt (--peer dlt)`);
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
  if (peer) await installDlt(log);
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

    // Each measured write starts with no dirty buffers left by the one before: otherwise a
    // checkpoint falls into whichever phase comes next, and the phases compare unevenly.
    const checkpoint = async () => {
      await stack.database.sql`checkpoint`;
    };
    const jobs = await connectPx(stack);
    const company = await timedImportNow(stack, jobs.companySync, 'Company Sync');
    const cpu = () => cpuSeconds({ worker: worker.pid, simulator: stack.sim.child.pid });
    const e2eRounds: { ms: number; cpu: CpuParts | null; run: RunDoc }[] = [];
    const directRounds: { ms: number; processCpuSeconds: number }[] = [];
    const peerRounds: (PeerRun & { written: Written })[] = [];
    let directUrl = '';
    // Rounds alternate end to end and direct, so that whatever else the machine goes through
    // (checkpoints, a neighbour's load) falls on both; the medians are compared.
    for (let round = 1; round <= rounds; round++) {
      if (round > 1) {
        // The same work again: every person and company person new, read from 1970.
        await stack.database.sql`truncate company_person, person`;
        await call(stack, 'POST', `/v1/jobs/${jobs.companyPersonSync}/reset-watermark`);
      }
      await checkpoint();
      const e2e = await timedImportNow(stack, jobs.companyPersonSync, `Company Person Sync (round ${round} of ${rounds})`, cpu);
      if (e2e.run.counts.fetched !== users) throw new Error(`Company Person Sync fetched ${e2e.run.counts.fetched} users of ${users}`);
      e2eRounds.push(e2e);

      log(`direct: the same runs without Temporal, into syncline_bench_direct, in a process with the worker's flags (${workerFlags.join(' ') || 'none'})`);
      directUrl = await freshDatabase('syncline_bench_direct');
      await checkpoint();
      const directProcess = spawnTs('scripts/harness/direct-process.ts', { DIRECT_DATABASE_URL: directUrl, DIRECT_PX_URL: stack.sim.url, DIRECT_PX_KEY: stack.sim.apiKey }, workerFlags);
      const directLine = await directProcess.waitFor(/^DIRECT_RESULT /, RUN_TIMEOUT_MS);
      // Both runs, Company Sync and Company Person Sync, and the process's start.
      const directCpuSeconds = Math.round(processCpuSeconds(directProcess.pid) * 100) / 100;
      await directProcess.stop();
      const direct = JSON.parse(directLine.slice('DIRECT_RESULT '.length)) as Awaited<ReturnType<typeof runDirect>>;
      if (JSON.stringify(direct.companyPersonSync.result.counts) !== JSON.stringify(e2e.run.counts)) {
        throw new Error(`direct counts ${JSON.stringify(direct.companyPersonSync.result.counts)} differ from end to end ${JSON.stringify(e2e.run.counts)}`);
      }
      log(`direct Company Person Sync: ${(direct.companyPersonSync.ms / 1000).toFixed(2)} s; the direct process used ${directCpuSeconds} s of CPU in all`);
      directRounds.push({ ms: direct.companyPersonSync.ms, processCpuSeconds: directCpuSeconds });

      if (peer) {
        log('peer: Company Person Sync as a dlt pipeline, reading the companies end to end wrote, into syncline_bench_peer');
        const peerUrl = await emptyDatabase('syncline_bench_peer');
        await checkpoint();
        const peerRun = await runDltPeer({
          pxUrl: stack.sim.url,
          pxKey: stack.sim.apiKey,
          companiesUrl: stack.databaseUrl,
          databaseUrl: peerUrl,
          simulatorPid: stack.sim.child.pid,
          timeoutMs: RUN_TIMEOUT_MS,
        });
        if (peerRun.fetched !== users) throw new Error(`the dlt peer fetched ${peerRun.fetched} users of ${users}`);
        const written = await peerWritten(peerUrl);
        checkSameWork(await synclineWritten(stack.databaseUrl, e2e.run.counts.failed), written);
        const steps = Object.entries(peerRun.steps).map(([step, t]) => `${step} ${(t.ms / 1000).toFixed(2)} s`).join(', ');
        log(`peer: ${(peerRun.ms / 1000).toFixed(2)} s (${steps}; the process ${(peerRun.processMs / 1000).toFixed(2)} s), CPU s ${JSON.stringify(peerRun.cpu)}; rows equal Syncline's`);
        peerRounds.push({ ...peerRun, written });
      }
    }
    const companyPerson = [...e2eRounds].sort((a, b) => a.ms - b.ms)[Math.floor(e2eRounds.length / 2)]!;
    const directMs = median(directRounds.map((d) => d.ms));
    const peerRun = peerRounds.length > 0 ? [...peerRounds].sort((a, b) => a.ms - b.ms)[Math.floor(peerRounds.length / 2)]! : null;

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

    log("the database's ceiling, into syncline_bench_ceiling");
    const ceilingUrl = await freshDatabase('syncline_bench_ceiling');
    await checkpoint();
    const ceiling = await measureCeiling(directUrl, ceilingUrl, users);
    await dropDatabase('syncline_bench_ceiling');
    log("the database's ceiling with COPY instead of unnest, into syncline_bench_ceiling");
    const copyCeilingUrl = await freshDatabase('syncline_bench_ceiling');
    await checkpoint();
    const copyCeiling = await measureCeiling(directUrl, copyCeilingUrl, users, 'copy');
    await dropDatabase('syncline_bench_ceiling');
    await dropDatabase('syncline_bench_direct');
    if (peer) await dropDatabase('syncline_bench_peer');

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
      rounds,
      e2eMs: Math.round(companyPerson.ms),
      e2eRecordsPerSec: perSecond(users, companyPerson.ms),
      directMs: Math.round(directMs),
      directRecordsPerSec: perSecond(users, directMs),
      overheadRatio: Number((companyPerson.ms / directMs).toFixed(3)),
      e2eRoundsMs: e2eRounds.map((r) => Math.round(r.ms)),
      directRoundsMs: directRounds.map((r) => Math.round(r.ms)),
      sourceRecordsPerSec: perSecond(source.records, source.ms),
      dbCeilingRecordsPerSec: perSecond(users, ceiling.ms),
      dbCeilingCopyRecordsPerSec: perSecond(users, copyCeiling.ms),
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
      directProcessCpuSeconds: directRounds.map((r) => r.processCpuSeconds),
      e2eMachineBusy: companyPerson.cpu ? Number((Object.values(companyPerson.cpu).reduce((a, b) => a + b, 0) / ((cpus().length * companyPerson.ms) / 1000)).toFixed(2)) : null,
      // The peer's median round: its time, the CPU it used, Syncline end to end / the peer.
      peer: peerRun
        ? {
            name: `dlt ${peerRun.dlt}`,
            pyarrow: peerRun.pyarrow,
            ms: Math.round(peerRun.ms),
            recordsPerSec: perSecond(users, peerRun.ms),
            roundsMs: peerRounds.map((r) => Math.round(r.ms)),
            processMs: Math.round(peerRun.processMs),
            stepsMs: Object.fromEntries(Object.entries(peerRun.steps).map(([step, t]) => [step, Math.round(t.ms)])),
            cpuSeconds: peerRun.cpu,
            peakRssMB: Math.round(peerRun.peakRssMB),
            rows: { person: peerRun.written.person.rows, companyPerson: peerRun.written.companyPerson.rows, failed: peerRun.written.failed },
            ratio: Number((perSecond(users, companyPerson.ms) / perSecond(users, peerRun.ms)).toFixed(3)),
            filtered: peerRun.filtered,
            failed: peerRun.failed,
          }
        : null,
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
    ['end to end (Import Now → run finished)', `${f.e2eRecordsPerSec} records/s`, `${f.e2eMs} ms${Number(f.rounds) > 1 ? `, median of ${JSON.stringify(f.e2eRoundsMs)}` : ''}`],
    ['direct (same code, no Temporal)', `${f.directRecordsPerSec} records/s`, `${f.directMs} ms${Number(f.rounds) > 1 ? `, median of ${JSON.stringify(f.directRoundsMs)}` : ''}`],
    ['overhead ratio (end to end / direct)', String(f.overheadRatio), 'goal ≤ 1.15'],
    ['source alone (read every user page)', `${f.sourceRecordsPerSec} records/s`, ''],
    ['database ceiling (same rows, same SQL)', `${f.dbCeilingRecordsPerSec} records/s`, ''],
    ['database ceiling, the rows by COPY instead', `${f.dbCeilingCopyRecordsPerSec} records/s`, ''],
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
  console.log(`Syncline benchmark, ${f.date}, ${f.machine}`);
  printColumns(rows, [false, true, false]);
  if (f.peer) printPeer(f as unknown as PeerFigures);
}

interface PeerFigures {
  records: number;
  rounds: number;
  e2eMs: number;
  e2eRecordsPerSec: number;
  e2eCpuSeconds: CpuParts | null;
  workerPeakRssMB: number;
  peer: {
    name: string;
    pyarrow: string;
    ms: number;
    recordsPerSec: number;
    roundsMs: number[];
    processMs: number;
    stepsMs: Record<string, number>;
    cpuSeconds: PeerRun['cpu'];
    peakRssMB: number;
    rows: { person: number; companyPerson: number; failed: number };
    ratio: number;
  };
}

/** Syncline end to end and the peer side by side, then what each does that the other does not. */
function printPeer(f: PeerFigures): void {
  const p = f.peer;
  const cpu = f.e2eCpuSeconds;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const s = (seconds: number) => `${seconds.toFixed(1)} s`;
  const syncline = cpu ? sum(Object.values(cpu)) : null;
  const peerCpu = sum(Object.values(p.cpuSeconds));
  const perRecord = (seconds: number) => `${Math.round((seconds * 1e6) / f.records)} µs`;
  const medians = f.rounds > 1 ? `, medians of ${f.rounds} rounds (dlt ${JSON.stringify(p.roundsMs)} ms)` : ', one round';
  console.log(`\nSyncline and its peer on the same ${f.records} users${medians}`);
  printColumns(
    [
      ['', 'Syncline end to end', `${p.name} (pyarrow ${p.pyarrow}; csv via COPY; merge)`],
      ['records/s', String(f.e2eRecordsPerSec), String(p.recordsPerSec)],
      ['Syncline / peer', String(p.ratio), ''],
      ['wall time', `${f.e2eMs} ms`, `${p.ms} ms (${Object.entries(p.stepsMs).map(([step, ms]) => `${step} ${ms}`).join(', ')}); with Python's start ${p.processMs} ms`],
      ['CPU: the pipeline\'s process', cpu ? `worker ${s(cpu.worker)}` : '', `dlt ${s(p.cpuSeconds.dlt)}`],
      ['CPU: PostgreSQL', cpu ? s(cpu.postgres) : '', s(p.cpuSeconds.postgres)],
      ['CPU: PX simulator', cpu ? s(cpu.simulator) : '', s(p.cpuSeconds.simulator)],
      ['CPU: Temporal, API and polling', cpu ? s(cpu.temporal + cpu.api) : '', 'none'],
      ['CPU in all (per record)', syncline === null ? '' : `${s(syncline)} (${perRecord(syncline)})`, `${s(peerCpu)} (${perRecord(peerCpu)})`],
      ['peak RSS', `worker ${f.workerPeakRssMB} MB (the whole bench)`, `${p.peakRssMB} MB`],
      ['rows written, checked equal', `person ${p.rows.person}, company_person ${p.rows.companyPerson}, failures ${p.rows.failed}`, 'the same'],
    ],
    [false, true, false],
  );
  console.log('\nWhat each side does that the other does not');
  printColumns([['', 'Syncline', 'the dlt pipeline'], ...WORK_DIFFERENCES], [false, false, false]);
  console.log('\nWhere the comparison is not even');
  for (const note of FAIRNESS_NOTES) console.log(`  - ${note}`);
}

function printColumns(rows: string[][], alignRight: boolean[]): void {
  const widths = alignRight.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) {
    const cells = row.map((cell, i) => (i === row.length - 1 ? cell : alignRight[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)));
    console.log(`  ${cells.join('  ')}`.trimEnd());
  }
}

/** `--jobs K --workers W`: K independent jobs on W worker processes against the one PostgreSQL (harness/scale.ts). */
async function scale(jobs: number, workers: number): Promise<void> {
  log(`scaling: ${users} users in ${jobs} jobs on ${workers} worker processes; ${cpus().length} cores`);
  const stack = await startHarnessStack({ database: 'syncline_bench', px: { users, accounts, seed: 1 }, log });
  try {
    const compiled = tsx ? undefined : await buildWorker('bench-dist', log);
    const result = await runScale(stack, {
      users,
      accounts,
      seed: 1,
      jobs,
      workers,
      cores: cpus().length,
      log,
      startWorker: () => stack.startWorker({ ...(compiled ? { compiled } : {}), nodeArgs: workerFlags }),
    });
    console.log(`| jobs | workers | users | seconds | records/s | CPU s: workers / PostgreSQL / Temporal / API | machine busy |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
    const c = result.cpuSeconds;
    console.log(`| ${jobs} | ${workers} | ${users} | ${result.seconds} | ${result.recordsPerSecond} | ${c.workers} / ${c.postgres} / ${c.temporal} / ${c.api} | ${Math.round(result.busy * 100)} % |`);
    console.log(JSON.stringify({ scale: result }));
  } finally {
    await stack.stop();
    await dropDatabase('syncline_bench');
  }
}

const scaleJobs = optionValue(argv, 'jobs');
if (scaleJobs !== undefined) await scale(positiveInteger(argv, 'jobs', 'BENCH_JOBS', 1), positiveInteger(argv, 'workers', 'BENCH_WORKERS', 1));
else await main();
