// Job chains: members run in order, a failed member stops the chain, and a chain's schedule rules
// over its members' own.
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, PX_KEY, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { fireSchedule } from './support/schedules.js';
import { allocateChainRun } from '../services/chains.js';

interface Chain {
  id: string;
  name: string;
  jobIds: string[];
  schedule: unknown;
}

interface MemberRun extends RunDoc {
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface ChainRun {
  id: string;
  trigger: string;
  status: string;
  error: { code: string; message: string } | null;
  workflowId: string;
  runs: MemberRun[];
}

interface ApiError {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

const DAILY = { enabled: true, timezone: 'UTC', frequency: 'daily', daily: { mode: 'once', at: '04:00' } };

describe('Job chains run their jobs one after the other', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let chain: Chain;

  const createChain = async (body: Record<string, unknown>) => api<Chain & ApiError>(stack, 'POST', '/v1/job-chains', body);
  const chainRuns = async (chainId: string) => (await api<{ items: ChainRun[] }>(stack, 'GET', `/v1/job-chains/${chainId}/runs`)).body.items;
  const chainRunEnded = (chainId: string, chainRunId: string) =>
    eventually(`chain run ${chainRunId} to end`, async () => {
      const found = (await chainRuns(chainId)).find((r) => r.id === chainRunId);
      return found && found.status !== 'running' ? found : null;
    });
  const audited = (chainId: string) =>
    stack.database.sql<{ action: string; attribute: string; new_value: unknown }[]>`
      select action, attribute, new_value from audit_log where entity_type = 'job_chain' and entity_id = ${chainId} order by id`;

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 60, users: 120, seed: 8 } });
    ({ connectionId, companySync, companyPersonSync } = await connectPx(stack));
  });
  afterAll(async () => stack?.stop());

  it('refuses a chain with no jobs, an unknown or repeated job, or a bad schedule (400)', async () => {
    const empty = await createChain({ name: 'Empty', jobIds: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.map((d) => d.path)).toContain('/jobIds');

    const unknown = await createChain({ name: 'Unknown', jobIds: [companySync.id, 'job_nothere'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([{ path: '/jobIds/1', message: 'job "job_nothere" does not exist' }]);

    const twice = await createChain({ name: 'Twice', jobIds: [companySync.id, companySync.id] });
    expect(twice.status).toBe(400);
    expect(twice.body.error.details.map((d) => d.path)).toEqual(['/jobIds/1']);

    const badTime = await createChain({ name: 'Bad time', jobIds: [companySync.id], schedule: { ...DAILY, daily: { mode: 'once', at: '25:99' } } });
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.details.map((d) => d.path)).toEqual(['/schedule/daily/at']);
  });

  it('refuses a chain with a job that cannot run (422, naming the job)', async () => {
    const refused = await createChain({ name: 'Not yet', jobIds: [companySync.id] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain(companySync.name);
    expect(refused.body.error.message).toContain('upsert key');
    companySync = await chooseAccountIdKey(stack, companySync);
  });

  it('creates, lists, reads and renames a chain, auditing each change', async () => {
    const created = await createChain({ name: 'Nightly', jobIds: [companySync.id, companyPersonSync.id], schedule: null });
    expect(created.status, created.text).toBe(201);
    chain = created.body;
    expect(chain).toMatchObject({ name: 'Nightly', jobIds: [companySync.id, companyPersonSync.id], schedule: null });

    const listed = await api<{ items: Chain[] }>(stack, 'GET', '/v1/job-chains');
    expect(listed.body.items.map((c) => c.id)).toContain(chain.id);
    expect((await api<Chain>(stack, 'GET', `/v1/job-chains/${chain.id}`)).body).toEqual(chain);

    const renamed = await api<Chain>(stack, 'PATCH', `/v1/job-chains/${chain.id}`, { name: 'Nightly PX' });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.name).toBe('Nightly PX');
    const log = await audited(chain.id);
    expect(log.filter((r) => r.action === 'Create').map((r) => r.attribute)).toEqual(expect.arrayContaining(['name', 'jobIds']));
    expect(log.filter((r) => r.action === 'Edit')).toEqual([{ action: 'Edit', attribute: 'name', new_value: 'Nightly PX' }]);
  });

  it('runs its members in order, each as a run with trigger "chain" and the chain run id', async () => {
    const started = await api<{ chainRunId: string; workflowId: string }>(stack, 'POST', `/v1/job-chains/${chain.id}/run`);
    expect(started.status, started.text).toBe(202);
    expect(started.body.workflowId).toBe(`chain:${chain.id}:run:1`);
    const ended = await chainRunEnded(chain.id, started.body.chainRunId);
    expect(ended.status).toBe('success');
    expect(ended.runs.map((r) => [r.jobId, r.trigger, r.chainRunId, r.status])).toEqual([
      [companySync.id, 'chain', started.body.chainRunId, 'success'],
      [companyPersonSync.id, 'chain', started.body.chainRunId, 'partial_success'],
    ]);
    const [first, second] = ended.runs;
    expect(first!.finishedAt! <= second!.queuedAt).toBe(true);

    const described = await stack.temporal.client.workflow.getHandle(first!.workflowId).describe();
    expect(described.searchAttributes.SynclineChainId).toEqual([chain.id]);
    expect(described.searchAttributes.SynclineTrigger).toEqual(['chain']);
  });

  it('a member whose job already has a run waiting still runs as the chain\'s own run', async () => {
    const solo = await createChain({ name: 'Solo', jobIds: [companySync.id] });
    expect(solo.status, solo.text).toBe(201);
    stack.px!.faults.latency(500);
    const running = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${companySync.id}/import-now`);
    const waiting = await api<{ runId: string; status: string }>(stack, 'POST', `/v1/jobs/${companySync.id}/import-now`);
    expect(waiting.body.status).toBe('queued');
    const started = await api<{ chainRunId: string }>(stack, 'POST', `/v1/job-chains/${solo.body.id}/run`);
    stack.px!.faults.latency(0);
    const ended = await chainRunEnded(solo.body.id, started.body.chainRunId);
    expect(ended.status).toBe('success');
    expect(ended.runs.map((r) => [r.trigger, r.chainRunId])).toEqual([['chain', started.body.chainRunId]]);
    expect(ended.runs[0]!.id).not.toBe(waiting.body.runId);
    expect((await waitForRun(stack, running.body.runId)).status).toBe('success');
  });

  it('a failed member stops the chain: later members do not run and the chain run fails', async () => {
    const broken = await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: 'not-the-key' } });
    expect(broken.status, broken.text).toBe(200);
    const started = await api<{ chainRunId: string }>(stack, 'POST', `/v1/job-chains/${chain.id}/run`);
    expect(started.status, started.text).toBe(202);
    const ended = await chainRunEnded(chain.id, started.body.chainRunId);
    expect(ended.status).toBe('failure');
    expect(ended.error?.message).toContain(companySync.id);
    expect(ended.error?.message).toContain('401');
    expect(ended.runs.map((r) => [r.jobId, r.status])).toEqual([[companySync.id, 'failure']]);
    const personRuns = await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companyPersonSync.id}/runs`);
    expect(personRuns.body.items.filter((r) => r.chainRunId === started.body.chainRunId)).toEqual([]);

    const mended = await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } });
    expect(mended.status, mended.text).toBe(200);
  });

  it("while a job is in a scheduled chain its own schedule is skipped and the chain's runs it", async () => {
    const scheduled = await api(stack, 'PUT', `/v1/jobs/${companySync.id}/schedule`, DAILY);
    expect(scheduled.status, scheduled.text).toBe(200);
    const runId = await fireSchedule<string>(stack, `job:${companySync.id}:schedule`);
    expect((await waitForRun(stack, runId)).trigger).toBe('schedule');

    const created = await createChain({ name: 'Early', jobIds: [companySync.id], schedule: DAILY });
    expect(created.status, created.text).toBe(201);
    const early = created.body;
    const before = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs`)).body.items.length;
    const skipped = await fireSchedule<string>(stack, `job:${companySync.id}:schedule`);
    expect(skipped).toBe('job is a member of chain "Early", whose schedule runs it');
    expect((await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs`)).body.items).toHaveLength(before);

    const chainRunId = await fireSchedule<string>(stack, `chain:${early.id}:schedule`);
    const ended = await chainRunEnded(early.id, chainRunId);
    expect(ended).toMatchObject({ trigger: 'schedule', status: 'success' });
    expect(ended.runs.map((r) => r.trigger)).toEqual(['chain']);

    // A paused chain runs nothing, so its members' own schedules apply again.
    const paused = await api(stack, 'PATCH', `/v1/job-chains/${early.id}`, { schedule: { ...DAILY, enabled: false } });
    expect(paused.status, paused.text).toBe(200);
    const ownRunId = await fireSchedule<string>(stack, `job:${companySync.id}:schedule`);
    expect((await waitForRun(stack, ownRunId)).trigger).toBe('schedule');
  });

  it('deleting a chain deletes its schedule and keeps its jobs', async () => {
    const created = await createChain({ name: 'Short-lived', jobIds: [companySync.id], schedule: DAILY });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    await stack.temporal.client.schedule.getHandle(`chain:${id}:schedule`).describe();

    const deleted = await api(stack, 'DELETE', `/v1/job-chains/${id}`);
    expect(deleted.status).toBe(204);
    expect((await api(stack, 'GET', `/v1/job-chains/${id}`)).status).toBe(404);
    await expect(stack.temporal.client.schedule.getHandle(`chain:${id}:schedule`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await api(stack, 'GET', `/v1/jobs/${companySync.id}`)).status).toBe(200);
    expect((await audited(id)).some((r) => r.action === 'Delete')).toBe(true);
  });

  it('removing the schedule from a chain deletes its Temporal Schedule', async () => {
    const created = await createChain({ name: 'Unscheduled later', jobIds: [companySync.id], schedule: DAILY });
    const id = created.body.id;
    const patched = await api<Chain>(stack, 'PATCH', `/v1/job-chains/${id}`, { schedule: null });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.schedule).toBeNull();
    await expect(stack.temporal.client.schedule.getHandle(`chain:${id}:schedule`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it("a schedule firing's chain run allocated twice (an activity retried after it committed) is one run", async () => {
    const created = await createChain({ name: 'Allocated once', jobIds: [companySync.id] });
    const id = created.body.id;
    const first = await allocateChainRun(stack.database.db, id, 'schedule', `chain:${id}:scheduled-x/run-1`);
    const again = await allocateChainRun(stack.database.db, id, 'schedule', `chain:${id}:scheduled-x/run-1`);
    expect(again).toEqual(first);
    const other = await allocateChainRun(stack.database.db, id, 'schedule', `chain:${id}:scheduled-y/run-1`);
    expect(other.n).toBe(first.n + 1);
    expect((await chainRuns(id)).map((r) => r.id).sort()).toEqual([first.chainRunId, other.chainRunId].sort());
  });

  /** The chains earlier tests made list these jobs too; the deletion tests start without them. */
  async function deleteEveryChain(): Promise<void> {
    const listed = await api<{ items: Chain[] }>(stack, 'GET', '/v1/job-chains?limit=200');
    for (const chain of listed.body.items) expect((await api(stack, 'DELETE', `/v1/job-chains/${chain.id}`)).status).toBe(204);
  }

  it('a job another job depends on cannot be deleted alone: 409 names the dependent job and the fix, and nothing goes', async () => {
    await deleteEveryChain();
    const refused = await api<ApiError>(stack, 'DELETE', `/v1/jobs/${companySync.id}`);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error.code).toBe('job_in_use');
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: `/jobs/${companyPersonSync.id}/dependsOn` })]);
    expect(refused.body.error.message).toContain("remove it from that job's dependsOn");
    expect((await api(stack, 'GET', `/v1/jobs/${companySync.id}`)).status).toBe(200);
  });

  it('a job a chain runs cannot be deleted, nor its connection: 409 names the chain and the fix, and the job, the chain and its schedule stay', async () => {
    const created = await createChain({ name: 'Keeps its members', jobIds: [companySync.id, companyPersonSync.id], schedule: DAILY });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;

    const refused = await api<ApiError>(stack, 'DELETE', `/v1/jobs/${companyPersonSync.id}`);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error.code).toBe('job_in_use');
    expect(refused.body.error.message).toContain('job chain "Keeps its members"');
    expect(refused.body.error.message).toContain("remove it from the chain's jobIds");
    expect(refused.body.error.details).toEqual([expect.objectContaining({ path: `/job-chains/${id}/jobIds` })]);
    expect((await api(stack, 'GET', `/v1/jobs/${companyPersonSync.id}`)).status).toBe(200);
    expect((await api<Chain>(stack, 'GET', `/v1/job-chains/${id}`)).body.jobIds).toEqual([companySync.id, companyPersonSync.id]);
    await expect(stack.temporal.client.schedule.getHandle(`chain:${id}:schedule`).describe()).resolves.toBeDefined();

    // Deleting the whole connection would take the chain's members too: refused the same way.
    const connectionRefused = await api<ApiError>(stack, 'DELETE', `/v1/connections/${connectionId}`);
    expect(connectionRefused.status, connectionRefused.text).toBe(409);
    expect((await api(stack, 'GET', `/v1/connections/${connectionId}`)).status).toBe(200);

    // Out of the chain, the job is no longer in use (an out-of-the-box job still goes only with its
    // connection); with the chain gone, the connection and the jobs on it go.
    expect((await api(stack, 'PATCH', `/v1/job-chains/${id}`, { jobIds: [companySync.id] })).status).toBe(200);
    expect((await api<ApiError>(stack, 'DELETE', `/v1/jobs/${companyPersonSync.id}`)).body.error.code).toBe('out_of_the_box');
    expect((await api(stack, 'DELETE', `/v1/job-chains/${id}`)).status).toBe(204);
    expect((await api(stack, 'DELETE', `/v1/connections/${connectionId}`)).status).toBe(204);
    expect((await api(stack, 'GET', `/v1/jobs/${companySync.id}`)).status).toBe(404);
  });
});
