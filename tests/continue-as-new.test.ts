// A job's workflow lives as long as the job, so it continues as new to keep its history bounded;
// its watermark and its queue of waiting runs go with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc } from './support/px-flow.js';
import { initialJobState } from '../temporal/jobs.js';
import { workflowIds } from '../temporal/names.js';
import { stateQuery, type JobWorkflowState } from '../workflows/types.js';

describe('a job workflow that continues as new', () => {
  let stack: Stack;
  let companySync: JobDoc;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 40, users: 10, seed: 13 } });
    const connected = await connectPx(stack);
    companySync = await chooseAccountIdKey(stack, connected.companySync);
  });
  afterAll(async () => stack?.stop());

  it('keeps its watermark and its queued runs', async () => {
    const { client, taskQueue } = stack.temporal;
    const workflowId = workflowIds.job(companySync.id);
    // Started here with one run per history, before anything triggers the job: the API's
    // update-with-start then finds it running and queues into it.
    const initial: JobWorkflowState = { ...(await initialJobState(stack.database.db, companySync.id)), runsPerHistory: 1 };
    const first = await client.workflow.start('jobWorkflow', { workflowId, taskQueue, args: [initial] });

    // The source is down while the runs are asked for, so the first is still running when the
    // other two arrive and they wait in the queue.
    stack.px!.faults.outage(60_000);
    const trigger = async (url: string, body?: unknown) => {
      const answer = await api<{ runId: string; status: string }>(stack, 'POST', url, body);
      expect(answer.status, answer.text).toBe(202);
      return answer.body;
    };
    const importNow = await trigger(`/v1/jobs/${companySync.id}/import-now`);
    const fromDate = await trigger(`/v1/jobs/${companySync.id}/import-from-date`, { from: '2020-01-01T00:00:00Z' });
    const secondImportNow = await trigger(`/v1/jobs/${companySync.id}/import-now`);
    expect([importNow.status, fromDate.status, secondImportNow.status]).toEqual(['running', 'queued', 'queued']);
    stack.px!.faults.reset();

    const runs = [];
    for (const { runId } of [importNow, fromDate, secondImportNow]) runs.push(await waitForRun(stack, runId, 90_000));
    expect(runs.map((run) => run.status)).toEqual(['success', 'success', 'success']);
    const [firstRun, , lastRun] = runs;

    // Each run ended a history: three executions continued as new, a fourth waits for triggers.
    const executions = await eventually('three executions to have continued as new', async () => {
      const found: { runId: string; status: string }[] = [];
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        found.push({ runId: execution.runId, status: execution.status.name });
      }
      return found.filter((execution) => execution.status === 'CONTINUED_AS_NEW').length === 3 ? found : null;
    });
    expect(executions).toHaveLength(4);
    expect(executions.find((execution) => execution.runId === first.firstExecutionRunId)?.status).toBe('CONTINUED_AS_NEW');
    const current = await client.workflow.getHandle(workflowId).describe();
    expect(current.runId).not.toBe(first.firstExecutionRunId);
    expect(current.status.name).toBe('RUNNING');

    // The last Import Now read from the first one's watermark, carried through two continues-as-new,
    // and the current execution holds the watermark it set.
    const lookbackMs = Number(companySync.lookbackSeconds) * 1000;
    expect(new Date(lastRun!.window.from!).getTime()).toBe(new Date(firstRun!.window.to!).getTime() - lookbackMs);
    const state = await client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state).toEqual({ watermark: lastRun!.window.to, running: null, queued: [] });
  });
});
