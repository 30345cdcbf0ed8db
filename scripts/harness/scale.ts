// `npm run bench -- --jobs K --workers W`: how throughput grows with workers against one PostgreSQL.
//
// K independent Company-Person-like jobs, each with its own users, on W worker processes. PX allows
// one connection per Syncline (its guide's rule), so the K jobs are Bulk API jobs: the users of the
// same simulated PX dataset, split K ways by index, each share staged beforehand as an upload (the
// staging is not measured), with the same mappings, person key, company lookup and email filter as
// Company Person Sync. Then the W workers start, all K jobs are asked for at once, and the time to
// the last run's end gives the aggregate records per second; CPU is measured per part of the stack.
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { stageUpload } from '../../connectors/bulk-api/staging.js';
import { PxDataset } from '../../connectors/gainsight-px/simulator/data.js';
import { cpuSeconds, processCpuSeconds, serverCpuSeconds } from './cpu.js';
import type { Child } from './children.js';
import { call, connectPx, importNow, waitForRun, type RunDoc } from './flow.js';
import type { HarnessStack } from './stack.js';

const HEADER = ['Email', 'First Name', 'Last Name', 'User Id', 'Account Id', 'Signed Up'];
const RUN_TIMEOUT_MS = 3 * 3600_000;

export interface ScaleResult {
  jobs: number;
  workers: number;
  users: number;
  seconds: number;
  recordsPerSecond: number;
  cpuSeconds: { workers: number; postgres: number; temporal: number; api: number };
  /** CPU used of what the machine had during the measure (cores × seconds). */
  busy: number;
}

/** The users of job k of K: every K-th user of the dataset, as CSV. */
function usersCsv(data: PxDataset, k: number, jobs: number): string {
  const quote = (value: unknown) => (value === undefined || value === null ? '' : `"${String(value).replaceAll('"', '""')}"`);
  const lines = [HEADER.join(',')];
  let index = 0;
  for (const user of data.users()) {
    if (index++ % jobs !== k) continue;
    lines.push([user.email, user.firstName, user.lastName, user.identifyId, user.accountId, user.signUpDate].map(quote).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export async function runScale(
  stack: HarnessStack,
  options: { users: number; accounts: number; seed: number; jobs: number; workers: number; cores: number; startWorker: () => Promise<Child>; log: (line: string) => void },
): Promise<ScaleResult> {
  const { log, jobs, workers } = options;
  // The companies the lookups find: Company Sync over the simulator's accounts, on one worker.
  const first = await options.startWorker();
  const px = await connectPx(stack);
  await importNow(stack, px.companySync).then((runId) => waitForRun(stack, runId, RUN_TIMEOUT_MS));
  const files = await call<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Scale', config: {} });
  const data = new PxDataset({ users: options.users, accounts: options.accounts, seed: options.seed });
  const jobIds: string[] = [];
  for (let k = 0; k < jobs; k++) {
    const job = await call<{ id: string }>(stack, 'POST', '/v1/jobs', {
      connectionId: files.body.id,
      name: `Company Person ${k + 1} of ${jobs}`,
      source: { object: 'users' },
      target: { object: 'company_person' },
      mappings: [
        { source: 'Email', target: 'email', upsertKey: true },
        { source: 'First Name', target: 'first_name' },
        { source: 'Last Name', target: 'last_name' },
        { source: 'User Id', target: 'px_user_id' },
        { source: 'Signed Up', target: 'sign_up_date' },
      ],
      derivedMappings: [{ target: 'company_id', object: 'company', match: [{ source: 'Account Id', field: 'px_account_id' }], onNoMatch: 'error', onMultipleMatches: 'error' }],
      filters: { conditions: [{ id: 'A', field: 'Email', op: 'is_not_null' }], logic: 'A' },
    });
    if (job.status !== 201) throw new Error(`creating scale job ${k + 1} answered ${job.status}: ${JSON.stringify(job.body)}`);
    jobIds.push(job.body.id);
    // Staged as an upload would be, without the upload's run: the runs start together below.
    const staged = await stageUpload(stack.database.sql, { id: `upload_scale_${randomBytes(5).toString('hex')}`, jobId: job.body.id, name: `users-${k + 1}.csv`, delimiter: 'comma', fields: HEADER, body: Readable.from([usersCsv(data, k, jobs)]) });
    if (!staged.staged) throw new Error(`staging the users of job ${k + 1} failed: ${staged.reason}`);
    log(`job ${k + 1} of ${jobs}: ${staged.rows} users staged`);
  }
  const pool = [first];
  for (let w = 1; w < workers; w++) pool.push(await options.startWorker());
  await stack.database.sql`checkpoint`;
  log(`${jobs} jobs on ${workers} worker process${workers === 1 ? '' : 'es'}: asking for all of them at once`);

  const workerCpu = () => pool.reduce((sum, w) => sum + processCpuSeconds(w.pid), 0);
  const before = { workers: workerCpu(), servers: serverCpuSeconds(), api: cpuSeconds({ worker: first.pid, simulator: stack.sim.child.pid }).api };
  const started = performance.now();
  const runIds = await Promise.all(jobIds.map((id) => importNow(stack, id)));
  const runs: RunDoc[] = await Promise.all(runIds.map((runId) => waitForRun(stack, runId, RUN_TIMEOUT_MS, 200)));
  const seconds = (performance.now() - started) / 1000;
  const servers = serverCpuSeconds();
  const round = (value: number) => Math.round(value * 100) / 100;
  const cpu = {
    workers: round(workerCpu() - before.workers),
    postgres: round(servers.postgres - before.servers.postgres),
    temporal: round(servers.temporal - before.servers.temporal),
    api: round(cpuSeconds({ worker: first.pid, simulator: stack.sim.child.pid }).api - before.api),
  };
  const fetched = runs.reduce((sum, r) => sum + r.counts.fetched, 0);
  if (fetched !== options.users) throw new Error(`the ${jobs} jobs fetched ${fetched} users of ${options.users}`);
  const failedRuns = runs.filter((r) => r.status !== 'success' && r.status !== 'partial_success');
  if (failedRuns.length > 0) throw new Error(`runs ended ${failedRuns.map((r) => `${r.id} ${r.status}`).join(', ')}`);
  const used = cpu.workers + cpu.postgres + cpu.temporal + cpu.api;
  return { jobs, workers, users: options.users, seconds: round(seconds), recordsPerSecond: Math.round(options.users / seconds), cpuSeconds: cpu, busy: round(used / (options.cores * seconds)) };
}
