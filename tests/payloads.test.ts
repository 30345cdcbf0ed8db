// What ops see in Temporal after a large run: small payloads with no record data in them, and runs
// that can be found by job, connection and trigger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { startImportNow } from './support/run-checks.js';
import { historyOf, largestEvent, largestPayload, stringsIn } from './support/history.js';
import { searchAttributeKeys, workflowIds } from '../temporal/names.js';

// The volume: 100,000 accounts in PX pages of 1,000 (101 pages) take about 15 s on a
// 2-core machine.
const ACCOUNTS = 100_000;
const LIMIT = 64 * 1024;

describe('a run of 100,000 accounts in Temporal', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let run: RunDoc;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: ACCOUNTS, users: 10, seed: 41 } });
    const connected = await connectPx(stack);
    connectionId = connected.connectionId;
    companySync = await chooseAccountIdKey(stack, connected.companySync);
    run = await waitForRun(stack, await startImportNow(stack, companySync.id), 180_000);
  }, 240_000);
  afterAll(async () => stack?.stop());

  it('lands every account', () => {
    expect(run.status).toBe('success');
    expect(run.counts).toMatchObject({ fetched: ACCOUNTS, inserted: ACCOUNTS, failed: 0 });
  });

  it('keeps every event and payload of the job and run histories under 64 KB', async () => {
    for (const workflowId of [workflowIds.job(companySync.id), run.workflowId]) {
      const history = await historyOf(stack.temporal.client, workflowId);
      expect(history.events?.length, workflowId).toBeGreaterThan(0);
      expect(largestEvent(history).bytes, workflowId).toBeLessThan(LIMIT);
      expect(largestPayload(history), workflowId).toBeLessThan(LIMIT);
    }
  });

  it('puts no record data in either history', async () => {
    const accounts = [...stack.px!.data.accounts()];
    for (const workflowId of [workflowIds.job(companySync.id), run.workflowId]) {
      const strings = stringsIn(await historyOf(stack.temporal.client, workflowId));
      // Payloads were read: the run's own id travels in both histories.
      expect(strings.has(run.id), workflowId).toBe(true);
      expect(accounts.filter((account) => strings.has(account.id) || strings.has(account.name)), workflowId).toEqual([]);
      expect([...strings].filter((text) => /acc-\d{6}/.test(text)), workflowId).toEqual([]);
    }
  });

  it('labels the run with its job, connection and trigger, and its memo with the job name', async () => {
    const described = await stack.temporal.client.workflow.getHandle(run.workflowId).describe();
    expect(described.typedSearchAttributes.get(searchAttributeKeys.jobId)).toBe(companySync.id);
    expect(described.typedSearchAttributes.get(searchAttributeKeys.connectionId)).toBe(connectionId);
    expect(described.typedSearchAttributes.get(searchAttributeKeys.trigger)).toBe('import_now');
    expect(described.memo).toMatchObject({ jobName: companySync.name });
  });

  it("finds the job's runs by their job id", async () => {
    const found = await eventually('the run to be visible by SynclineJobId', async () => {
      const ids: string[] = [];
      for await (const execution of stack.temporal.client.workflow.list({ query: `SynclineJobId = '${companySync.id}'` })) ids.push(execution.workflowId);
      return ids.includes(run.workflowId) ? ids : null;
    });
    expect(found.sort()).toEqual([workflowIds.job(companySync.id), run.workflowId].sort());
  });
});
