// Runs as people look for them: who asked for each, Import Now and Import From Date in the audit
// log, lists filtered by status, trigger and time, and when a scheduled job runs next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startStack, VIEWER_TOKEN, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { fireSchedule } from './support/schedules.js';
import { workflowIds } from '../temporal/names.js';

type Run = RunDoc & { actor: string | null; queuedAt: string };
type Job = JobDoc & { nextRunAt: string | null };
interface AuditItem {
  who: string;
  attribute: string;
  action: string;
  newValue: { runId: string; trigger: string; window?: { from: string; to: string | null } } | null;
  additionalInfo: string | null;
}

const HOURLY = { enabled: true, timezone: 'UTC', frequency: 'hourly', everyHours: 4 };

describe('run lists and who asked', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  const runs: Record<string, Run> = {};

  const listed = async (query: string) => {
    const answer = await api<{ items: Run[]; nextCursor: string | null }>(stack, 'GET', `/v1/runs?${query}`);
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 8, users: 20, seed: 12 } });
    const connected = await connectPx(stack);
    companySync = await chooseAccountIdKey(stack, connected.companySync);
    companyPersonSync = connected.companyPersonSync;
    runs.importNow = (await importNow(stack, companySync.id)) as Run;
    const fromDate = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${companySync.id}/import-from-date`, { from: '2020-01-01T00:00:00Z' });
    runs.importFromDate = (await waitForRun(stack, fromDate.body.runId)) as Run;
    runs.dependent = (await importNow(stack, companyPersonSync.id)) as Run;
    expect((await api(stack, 'PUT', `/v1/jobs/${companySync.id}/schedule`, HOURLY)).status).toBe(200);
    runs.scheduled = (await waitForRun(stack, await fireSchedule<string>(stack, workflowIds.jobSchedule(companySync.id)))) as Run;
    for (const key of Object.keys(runs)) runs[key] = (await api<Run>(stack, 'GET', `/v1/runs/${runs[key]!.id}`)).body;
  });
  afterAll(async () => stack?.stop());

  it("names who asked for each run: the token's owner, or the schedule, the dependent run or the chain", async () => {
    expect(runs.importNow!.actor).toBe('alice');
    expect(runs.importFromDate!.actor).toBe('alice');
    expect(runs.dependent!.actor).toBe('alice');
    expect(runs.scheduled!.actor).toBe('schedule');
    const dependency = (await listed(`jobId=${companySync.id}&trigger=dependency`)).items;
    expect(dependency.map((r) => r.actor)).toEqual(['dependency']);

    const chain = await api<{ id: string }>(stack, 'POST', '/v1/job-chains', { name: 'Accounts', jobIds: [companySync.id] });
    const chainRun = await api<{ chainRunId: string; workflowId: string }>(stack, 'POST', `/v1/job-chains/${chain.body.id}/run`);
    await stack.temporal.client.workflow.getHandle(chainRun.body.workflowId).result();
    const members = (await listed(`jobId=${companySync.id}&trigger=chain`)).items;
    expect(members.map((r) => [r.actor, r.chainRunId])).toEqual([['chain', chainRun.body.chainRunId]]);
  });

  it('puts Import Now and Import From Date in the audit log with who asked and the run they got', async () => {
    const audit = await api<{ items: AuditItem[] }>(stack, 'GET', `/v1/logs?type=audit&jobId=${companySync.id}`);
    const requests = audit.body.items.filter((i) => i.attribute === 'run');
    expect(requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'alice', action: 'Create', additionalInfo: 'Import Now', newValue: { runId: runs.importNow!.id, trigger: 'import_now' } }),
        expect.objectContaining({
          who: 'alice',
          action: 'Create',
          additionalInfo: 'Import From Date',
          newValue: { runId: runs.importFromDate!.id, trigger: 'import_from_date', window: { from: '2020-01-01T00:00:00.000Z', to: null } },
        }),
      ]),
    );
    // Only what a client asked for: the schedule's and the dependency's runs are not configuration changes.
    expect(requests).toHaveLength(2);
  });

  it('filters run lists by job, status, trigger and when runs were queued, and pages through them', async () => {
    const all = (await listed(`jobId=${companySync.id}&limit=100`)).items;
    expect(all.map((r) => r.queuedAt)).toEqual([...all.map((r) => r.queuedAt)].sort().reverse());
    expect(all.map((r) => r.id)).toEqual(expect.arrayContaining([runs.importNow!.id, runs.importFromDate!.id, runs.scheduled!.id]));
    expect((await listed(`jobId=${companySync.id}&trigger=import_from_date`)).items.map((r) => r.id)).toEqual([runs.importFromDate!.id]);
    const succeeded = (await listed(`jobId=${companySync.id}&status=success&limit=100`)).items;
    expect(succeeded.map((r) => r.id)).toEqual(all.filter((r) => r.status === 'success').map((r) => r.id));
    expect(succeeded.length).toBeGreaterThan(2);
    expect((await listed(`jobId=${companySync.id}&status=failure`)).items).toEqual([]);
    expect((await listed(`jobId=${companyPersonSync.id}&status=${runs.dependent!.status}`)).items.map((r) => r.id)).toEqual([runs.dependent!.id]);

    // from is inclusive, to exclusive.
    const window = `from=${encodeURIComponent(runs.importFromDate!.queuedAt)}&to=${encodeURIComponent(runs.scheduled!.queuedAt)}`;
    const between = (await listed(`jobId=${companySync.id}&${window}`)).items.map((r) => r.id);
    expect(between).toContain(runs.importFromDate!.id);
    expect(between).not.toContain(runs.importNow!.id);
    expect(between).not.toContain(runs.scheduled!.id);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Run[]; nextCursor: string | null } = await listed(`jobId=${companySync.id}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      paged.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((r) => r.id));

    const perJob = await api<{ items: Run[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs?trigger=schedule`, undefined, VIEWER_TOKEN);
    expect(perJob.body.items.map((r) => r.id)).toEqual([runs.scheduled!.id]);
    const wrong = await api<{ error: { details: { path: string }[] } }>(stack, 'GET', '/v1/runs?status=sleeping&from=yesterday');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.map((d) => d.path).sort()).toEqual(['querystring/from', 'querystring/status']);
  });

  it("gives a scheduled job its next run from Temporal's schedule, a chain member its chain's, and none when unscheduled or disabled", async () => {
    const scheduled = (await api<Job>(stack, 'GET', `/v1/jobs/${companySync.id}`)).body;
    const described = await stack.temporal.client.schedule.getHandle(workflowIds.jobSchedule(companySync.id)).describe();
    expect(scheduled.nextRunAt).toBe(described.info.nextActionTimes[0]!.toISOString());
    expect(new Date(scheduled.nextRunAt!).getUTCHours() % 4).toBe(0);
    expect((await api<Job>(stack, 'GET', `/v1/jobs/${companyPersonSync.id}`)).body.nextRunAt).toBeNull();

    const paused = await api<Job>(stack, 'PUT', `/v1/jobs/${companySync.id}/schedule`, { ...HOURLY, enabled: false });
    expect(paused.body.nextRunAt).toBeNull();

    const chain = await api<{ id: string }>(stack, 'POST', '/v1/job-chains', { name: 'Nightly', jobIds: [companyPersonSync.id], schedule: { enabled: true, timezone: 'UTC', frequency: 'daily', daily: { mode: 'once', at: '03:15' } } });
    expect(chain.status).toBe(201);
    const member = (await api<{ items: Job[] }>(stack, 'GET', `/v1/jobs?connectionId=${companySync.connectionId as string}`)).body.items.find((j) => j.id === companyPersonSync.id)!;
    expect(member.nextRunAt).toMatch(/T03:15:00\.000Z$/);
  });
});
