// What ops see in the Temporal UI: summaries and details on every workflow Syncline starts, a run's
// progress as its current details, search attributes for the job's name and the outcome, names that
// follow a rename, and the README's "Find it in the Temporal UI" queries, each run against the dev
// server and answering exactly the workflows it promises.
import { readFileSync } from 'node:fs';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, PX_KEY, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { triggerSchedule } from './support/schedules.js';
import { searchAttributes, workflowIds } from '../temporal/names.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
/** The README's table of queries: each row's description and its query. */
const QUERIES = [...(README.split('## Find it in the Temporal UI')[1]!.split('\n## ')[0]!.matchAll(/^\| ([^|]+) \| `([^`]+)` \|$/gm))].map((m) => ({ what: m[1]!.trim(), query: m[2]! }));

describe('the Temporal UI', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let partial: RunDoc;
  let failed: RunDoc;
  let running: RunDoc;
  let firing: string;
  let chainId: string;
  let chainWorkflow: string;
  const ours = (id: string) => [companySync, companyPersonSync].some((j) => id.startsWith(`job:${j.id}`)) || id.startsWith(`chain:${chainId}`);

  const list = async (query: string): Promise<WorkflowExecutionInfo[]> => {
    const found: WorkflowExecutionInfo[] = [];
    for await (const workflow of stack.temporal.client.workflow.list({ query })) found.push(workflow);
    return found;
  };

  beforeAll(async () => {
    // A connection name of its own: the dev server holds every test file's workflows.
    stack = await startStack({ px: { accounts: 30, users: 60, seed: 3 }, pageSize: 10 });
    const connected = await connectPx(stack, 'Temporal UI test');
    connectionId = connected.connectionId;
    companySync = await chooseAccountIdKey(stack, connected.companySync);
    companyPersonSync = connected.companyPersonSync;
    partial = await importNow(stack, companyPersonSync.id);
    expect(partial.status).toBe('partial_success');

    expect((await api(stack, 'PUT', `/v1/jobs/${companySync.id}/schedule`, { enabled: true, timezone: 'UTC', frequency: 'daily', daily: { mode: 'once', at: '04:00' } })).status).toBe(200);
    firing = (await triggerSchedule(stack, workflowIds.jobSchedule(companySync.id))).workflowId;
    await stack.temporal.client.workflow.getHandle(firing).result();

    const chain = await api<{ id: string }>(stack, 'POST', '/v1/job-chains', { name: 'UI chain', jobIds: [companySync.id] });
    chainId = chain.body.id;
    chainWorkflow = (await api<{ workflowId: string }>(stack, 'POST', `/v1/job-chains/${chainId}/run`)).body.workflowId;
    await stack.temporal.client.workflow.getHandle(chainWorkflow).result();

    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'revoked' } })).status).toBe(200);
    failed = await importNow(stack, companySync.id);
    expect(failed.status).toBe('failure');
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } })).status).toBe(200);

    // A run still going while the queries run.
    stack.px!.faults.latency(1_000);
    running = (await api<RunDoc>(stack, 'GET', `/v1/runs/${(await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${companySync.id}/import-from-date`, { from: '2020-01-01T00:00:00Z' })).body.runId}`)).body;
  });
  afterAll(async () => {
    stack.px?.faults.latency(0);
    await stack?.stop();
  });

  it("summarises every run with its job's name, number, trigger and window, and shows its counts as it ends", async () => {
    const handle = stack.temporal.client.workflow.getHandle(partial.workflowId);
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(
      `Company Person Sync_Temporal UI test · run 1 · Import Now · ${partial.window.from!.replace('T', ' ').slice(0, 19)} → ${partial.window.to!.replace('T', ' ').slice(0, 19)} UTC`,
    );
    expect(await description.staticDetails()).toContain(`**Run** ${partial.id} of job ${companyPersonSync.id}`);
    expect(description.searchAttributes[searchAttributes.jobName]).toEqual(['Company Person Sync_Temporal UI test']);
    expect(description.searchAttributes[searchAttributes.outcome]).toEqual(['partial_success']);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toBe(
      `partial_success · ${(await stack.database.sql<{ pages: number }[]>`select pages from runs where id = ${partial.id}`)[0]!.pages} pages · fetched ${partial.counts.fetched}, filtered ${partial.counts.filtered}, inserted ${partial.counts.inserted}, updated ${partial.counts.updated}, unchanged ${partial.counts.unchanged}, failed ${partial.counts.failed}`,
    );
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes && e.userMetadata?.summary?.data ? [JSON.parse(Buffer.from(e.userMetadata.summary.data).toString('utf8')) as string] : []));
    expect(summaries[0]).toBe('pages from 1 of Company Person Sync_Temporal UI test (run 1)');

    const job = await stack.temporal.client.workflow.getHandle(workflowIds.job(companySync.id)).describe();
    expect(await job.staticSummary()).toBe("Company Sync_Temporal UI test · the job's queue of runs and its watermark");
    expect(await (await stack.temporal.client.workflow.getHandle(firing).describe()).staticSummary()).toBe('Company Sync_Temporal UI test · scheduled run');
    expect(await (await stack.temporal.client.workflow.getHandle(chainWorkflow).describe()).staticSummary()).toBe('chain UI chain · run 1 · run now');
  });

  it("tags a scheduled firing with the job's name and the outcome of the run it waited for", async () => {
    const description = await stack.temporal.client.workflow.getHandle(firing).describe();
    expect(description.searchAttributes).toMatchObject({
      [searchAttributes.jobId]: [companySync.id],
      [searchAttributes.jobName]: ['Company Sync_Temporal UI test'],
      [searchAttributes.trigger]: ['schedule'],
      [searchAttributes.outcome]: ['success'],
    });
    const runId = String(await stack.temporal.client.workflow.getHandle(firing).result());
    expect((await waitForRun(stack, runId)).status).toBe('success');
  });

  it("answers each of the README's queries with exactly the workflows it promises", async () => {
    expect(QUERIES.map((q) => q.query)).toHaveLength(7);
    const fill = (query: string) => query.replaceAll('<jobId>', companySync.id).replaceAll('<job name>', companySync.name).replaceAll('<chainId>', chainId);
    const companySyncWorkflows = [workflowIds.job(companySync.id), firing, ...(await stack.database.sql<{ workflow_id: string }[]>`select workflow_id from runs where job_id = ${companySync.id}`).map((r) => r.workflow_id)];
    const chainMembers = (await stack.database.sql<{ workflow_id: string }[]>`select r.workflow_id from runs r join chain_runs c on c.id = r.chain_run_id where c.chain_id = ${chainId}`).map((r) => r.workflow_id);
    const expected: Record<string, string[]> = {
      [`SynclineJobId = "${companySync.id}"`]: companySyncWorkflows,
      [`SynclineJobName = "${companySync.name}"`]: companySyncWorkflows,
      'WorkflowType = "syncRunWorkflow" AND SynclineOutcome = "partial_success"': [partial.workflowId],
      'SynclineOutcome = "failure"': [failed.workflowId],
      'WorkflowType = "syncRunWorkflow" AND ExecutionStatus = "Running"': [running.workflowId],
      [`WorkflowType = "scheduledJobWorkflow" AND SynclineJobId = "${companySync.id}"`]: [firing],
      [`SynclineChainId = "${chainId}"`]: [chainWorkflow, ...chainMembers],
    };
    for (const { what, query } of QUERIES) {
      const filled = fill(query);
      const wanted = expected[filled];
      expect(wanted, `a query the test does not know: ${filled}`).toBeDefined();
      await eventually(
        `"${what}": ${filled}`,
        async () => {
          const found = (await list(filled)).map((w) => w.workflowId).filter(ours).sort();
          return JSON.stringify([...new Set(found)]) === JSON.stringify([...new Set(wanted!)].sort()) ? found : null;
        },
        20_000,
      );
    }
  });

  it('follows a rename: the job workflow and its schedule carry the new name; runs keep the one they ran under', async () => {
    const renamed = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { name: 'Accounts, renamed' });
    expect(renamed.status, renamed.text).toBe(200);
    await eventually('the job workflow to carry the new name', async () => {
      const description = await stack.temporal.client.workflow.getHandle(workflowIds.job(companySync.id)).describe();
      return description.memo?.jobName === 'Accounts, renamed' && description.searchAttributes[searchAttributes.jobName]?.[0] === 'Accounts, renamed';
    });
    const schedule = await stack.temporal.client.schedule.getHandle(workflowIds.jobSchedule(companySync.id)).describe();
    expect(schedule.action).toMatchObject({ memo: { jobName: 'Accounts, renamed' }, staticSummary: 'Accounts, renamed · scheduled run' });
    const attributes = schedule.action.typedSearchAttributes;
    const pairs = attributes instanceof TypedSearchAttributes ? attributes.getAll() : (attributes ?? []);
    expect(pairs.find((pair) => pair.key.name === searchAttributes.jobName)?.value).toBe('Accounts, renamed');
    await eventually('the new name to be searchable', async () => (await list(`SynclineJobName = "Accounts, renamed"`)).some((w) => w.workflowId === workflowIds.job(companySync.id)));
    const run = await stack.temporal.client.workflow.getHandle(failed.workflowId).describe();
    expect(run.memo?.jobName).toBe('Company Sync_Temporal UI test');
  });

  it('registers every search attribute the code uses in the Compose stack as well', () => {
    const script = readFileSync(new URL('../deploy/temporal/create-search-attributes.sh', import.meta.url), 'utf8');
    const listed = /^attributes=\(([^)]*)\)$/m.exec(script)![1]!.split(/\s+/);
    expect(listed.sort()).toEqual(Object.values(searchAttributes).sort());
  });
});
