// `npx tsx scripts/noop-timeline.ts [--users N]`: where a no-change Import Now spends its time.
// Starts the bench's stack (compiled worker, PX simulator, Temporal dev server), lands Company Sync
// and Company Person Sync, presses Import Now on Company Person Sync a few more times with nothing
// changed and prints, for the last one, every event of the three workflows involved (the job's,
// its run's and its dependency Company Sync's) in milliseconds since the API call.
import proto from '@temporalio/proto';
import { positiveInteger } from './harness/args.js';
import { connectPx, importNow, waitForRun } from './harness/flow.js';
import { dropDatabase, startHarnessStack, type HarnessStack } from './harness/stack.js';
import { buildWorker, DEPLOYED_WORKER_FLAGS } from './harness/worker.js';

const users = positiveInteger(process.argv.slice(2), 'users', 'NOOP_USERS', 2000);
const REPEATS = 4;
const log = (line: string) => console.error(line);

const msOf = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);

async function printTimeline(stack: HarnessStack, workflowId: string, since: number): Promise<void> {
  const history = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  console.log(`-- ${workflowId}`);
  for (const event of history.events ?? []) {
    const at = msOf(event.eventTime) - since;
    if (at < -5) continue;
    const type = proto.temporal.api.enums.v1.EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(event.eventType);
    const what = event.activityTaskScheduledEventAttributes?.activityType?.name ?? event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? '';
    console.log(`${String(at).padStart(7)} ms  ${type} ${what}`);
  }
}

const stack = await startHarnessStack({ database: 'syncline_noop', px: { users, accounts: Math.max(1, Math.round(users / 20)), seed: 1 }, log });
try {
  const compiled = await buildWorker('bench-dist', log);
  await stack.startWorker({ compiled, nodeArgs: DEPLOYED_WORKER_FLAGS });
  const jobs = await connectPx(stack);
  await waitForRun(stack, await importNow(stack, jobs.companySync), 600_000);
  await waitForRun(stack, await importNow(stack, jobs.companyPersonSync), 600_000);
  for (let i = 1; i <= REPEATS; i++) {
    const started = Date.now();
    const runId = await importNow(stack, jobs.companyPersonSync);
    const accepted = Date.now() - started;
    const run = await waitForRun(stack, runId, 60_000);
    console.log(`Import Now ${i} with nothing changed: accepted in ${accepted} ms, ${run.status} after ${Date.now() - started} ms`);
    if (i === REPEATS) {
      for (const id of [`job:${jobs.companyPersonSync}`, run.workflowId, `job:${jobs.companySync}`]) await printTimeline(stack, id, started);
    }
  }
} finally {
  await stack.stop();
  await dropDatabase('syncline_noop');
}
