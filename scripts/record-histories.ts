// `npm run record-histories`: drives real runs of every workflow type against a throwaway stack
// (the test suite's own: a Temporal dev server, a fresh database, the PX simulator, a worker and
// the API, through tests/support) and saves one history per type to tests/histories/<type>.json.
// tests/replay.test.ts replays them against today's workflow code, so a change that would break
// workflows already running fails CI. Re-record (and commit the files) only after a change that
// keeps old histories replayable, e.g. one guarded by patched(), having first moved today's files
// into a subfolder named for the change (they must go on replaying); never to make a failing
// replay pass.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { setup, teardown } from '../tests/support/global-setup.js';
import { api, eventually, startStack, type Stack } from '../tests/support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type RunDoc } from '../tests/support/px-flow.js';
import { historyToText } from '../tests/support/history.js';
import { triggerSchedule } from '../tests/support/schedules.js';
import { workflowIds } from '../temporal/names.js';

const OUT = join(dirname(dirname(fileURLToPath(import.meta.url))), 'tests', 'histories');
const DAILY = { enabled: true, timezone: 'UTC', frequency: 'daily', daily: { mode: 'once', at: '04:00' } };

async function main(): Promise<void> {
  // Before the dev server starts, which would otherwise fix the runtime with a chatty logger.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const provided: Record<string, string> = {};
  await setup({ provide: (key: string, value: string) => (provided[key] = value) } as unknown as TestProject);
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      provided: { temporalAddress: provided.temporalAddress!, workflowBundlePath: provided.workflowBundlePath! },
      px: { accounts: 30, users: 60, seed: 3 },
      pageSize: 10,
    });
    const histories = await driveEveryWorkflow(stack);
    await mkdir(OUT, { recursive: true });
    for (const [type, workflowId] of Object.entries(histories)) {
      const history = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
      await writeFile(join(OUT, `${type}.json`), historyToText(history));
      console.log(`${type}: ${history.events?.length ?? 0} events of ${workflowId}`);
    }
  } finally {
    await stack?.stop();
    await teardown();
  }
}

/** Runs that take each workflow through its main paths; answers the workflow id to record per type. */
async function driveEveryWorkflow(stack: Stack): Promise<Record<string, string>> {
  const { companySync: unkeyed, companyPersonSync } = await connectPx(stack);
  const companySync = await chooseAccountIdKey(stack, unkeyed);
  const call = async <T>(method: 'POST' | 'PUT' | 'PATCH', url: string, body?: unknown): Promise<T> => {
    const answer = await api<T>(stack, method, url, body);
    if (answer.status >= 300) throw new Error(`${method} ${url} answered ${answer.status}: ${answer.text}`);
    return answer.body;
  };
  const ended = async (runId: string, status: string): Promise<RunDoc> => {
    const run = await waitForRun(stack, runId, 60_000);
    if (run.status !== status) throw new Error(`run ${runId} ended ${run.status}, expected ${status}: ${JSON.stringify(run.error)}`);
    return run;
  };

  // A run with a dependency: Company Person Sync asks Company Sync's workflow for a run first.
  const dependent = await ended((await call<{ runId: string }>('POST', `/v1/jobs/${companyPersonSync.id}/import-now`)).runId, 'partial_success');
  await ended((await call<{ runId: string }>('POST', `/v1/jobs/${companySync.id}/import-from-date`, { from: '2020-01-01T00:00:00Z' })).runId, 'success');

  // A run cancelled while it reads.
  stack.px!.faults.latency(500);
  const cancelled = (await call<{ runId: string }>('POST', `/v1/jobs/${companySync.id}/import-from-date`, { from: '2020-01-01T00:00:00Z' })).runId;
  await eventually('the run to commit a page', async () => (await pagesOf(stack, cancelled)) > 0);
  await call('POST', `/v1/runs/${cancelled}/cancel`);
  await ended(cancelled, 'cancelled');
  stack.px!.faults.latency(0);

  const chain = await call<{ id: string }>('POST', '/v1/job-chains', { name: 'Accounts then people', jobIds: [companySync.id, companyPersonSync.id] });
  const chainRun = await call<{ chainRunId: string; workflowId: string }>('POST', `/v1/job-chains/${chain.id}/run`);
  await stack.temporal.client.workflow.getHandle(chainRun.workflowId).result();

  await call('PUT', `/v1/jobs/${companySync.id}/schedule`, DAILY);
  const scheduledJob = (await triggerSchedule(stack, workflowIds.jobSchedule(companySync.id))).workflowId;
  await ended(String(await stack.temporal.client.workflow.getHandle(scheduledJob).result()), 'success');

  await call('PATCH', `/v1/job-chains/${chain.id}`, { schedule: DAILY });
  const scheduledChain = (await triggerSchedule(stack, workflowIds.chainSchedule(chain.id))).workflowId;
  await stack.temporal.client.workflow.getHandle(scheduledChain).result();

  return {
    jobWorkflow: workflowIds.job(companySync.id),
    syncRunWorkflow: dependent.workflowId,
    chainRunWorkflow: chainRun.workflowId,
    scheduledJobWorkflow: scheduledJob,
    scheduledChainWorkflow: scheduledChain,
  };
}

async function pagesOf(stack: Stack, runId: string): Promise<number> {
  const [run] = await stack.database.sql<{ pages: number }[]>`select pages from runs where id = ${runId}`;
  return run?.pages ?? 0;
}

await main();
