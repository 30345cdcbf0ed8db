// A run runs one configuration from start to end, job dependencies never form a cycle however
// edits interleave, and runs Temporal no longer knows end instead of showing as running for good.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, eventually, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { workflowIds } from '../temporal/names.js';

const ACCOUNTS = 100;

interface Configured extends RunDoc {
  progress: { pages: number };
  configuration: { job: { mappings: { target: string }[]; filters: { conditions: unknown[] } }; connection: { id: string; config: Record<string, unknown> } } | null;
}

describe('Runs keep their configuration and their ends', () => {
  let stack: Stack;
  let job: JobDoc;
  let connectionId: string;

  const trigger = async (path: string, body?: unknown) => {
    const answer = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/${path}`, body);
    expect(answer.status, answer.text).toBe(202);
    return answer.body.runId;
  };
  const run = async (runId: string) => (await api<Configured>(stack, 'GET', `/v1/runs/${runId}`)).body;
  const everything = { from: '1970-01-01T00:00:00.000Z' };

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: ACCOUNTS, users: 10, seed: 4 }, pageSize: 10 });
    const connected = await connectPx(stack);
    connectionId = connected.connectionId;
    job = await chooseAccountIdKey(stack, connected.companySync);
  });
  beforeEach(() => stack.px!.faults.reset());
  afterAll(async () => stack?.stop());

  it('an edit made while a run reads pages applies from the next run on; the run shows the configuration it ran', async () => {
    stack.px!.faults.latency(300);
    const runId = await trigger('import-from-date', everything);
    await eventually('two pages', async () => (await run(runId)).progress.pages >= 2);
    const edited = await api(stack, 'PATCH', `/v1/jobs/${job.id}`, {
      mappings: job.mappings.filter((m) => m.target !== 'name'),
      filters: { conditions: [{ id: 'A', field: 'name', op: 'starts_with', value: 'ZZZ' }], logic: 'A' },
    });
    expect(edited.status, edited.text).toBe(200);
    stack.px!.faults.latency(0);
    const ended = (await waitForRun(stack, runId)) as Configured;
    expect(ended.status).toBe('success');
    expect(ended.counts).toMatchObject({ fetched: ACCOUNTS, filtered: 0 });
    const named = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from company where name is not null`;
    expect(named[0]!.n).toBe(ACCOUNTS);
    const shown = await run(runId);
    expect(shown.configuration!.job.mappings.map((m) => m.target)).toContain('name');
    expect(shown.configuration!.job.filters.conditions).toEqual([]);
    expect(shown.configuration!.connection).toMatchObject({ id: connectionId, config: { apiKey: '********' } });

    // The next run reads with the new filter, which PX applies itself (it is pushed down).
    const next = await waitForRun(stack, await trigger('import-from-date', everything));
    expect(next.counts).toMatchObject({ fetched: 0, inserted: 0, updated: 0 });
    const restored = await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings: job.mappings, filters: { conditions: [], logic: null } });
    expect(restored.status, restored.text).toBe(200);
  });

  it('two dependency edits sent together never make a cycle: one is refused', async () => {
    const bulk = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Files', config: {} });
    const make = async (name: string) =>
      (await api<JobDoc>(stack, 'POST', '/v1/jobs', { connectionId: bulk.body.id, name, source: { object: 'file' }, target: { object: 'company' }, mappings: [{ source: 'Id', target: 'px_account_id', upsertKey: true }] })).body;
    const [a, b] = [await make('A'), await make('B')];
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all([api(stack, 'PATCH', `/v1/jobs/${a.id}`, { dependsOn: [b.id] }), api(stack, 'PATCH', `/v1/jobs/${b.id}`, { dependsOn: [a.id] })]);
      expect(answers.map((x) => x.status).sort()).toEqual([200, 400]);
      for (const id of [a.id, b.id]) expect((await api(stack, 'PATCH', `/v1/jobs/${id}`, { dependsOn: [] })).status).toBe(200);
    }
  });

  it('runs a lost job workflow left behind end as failures saying why, and cancelling one answers 409', async () => {
    stack.px!.faults.latency(500);
    const running = await trigger('import-from-date', everything);
    await eventually('the run to read pages', async () => (await run(running)).progress.pages >= 1);
    const queued = await trigger('import-now');
    expect((await run(queued)).status).toBe('queued');
    // What a Temporal that lost its data looks like to Syncline: the workflows are gone.
    await stack.temporal.client.workflow.getHandle(workflowIds.job(job.id)).terminate('test: Temporal lost this workflow');
    const child = await stack.temporal.client.workflow.getHandle((await run(running)).workflowId).describe();
    expect(child.status.name).toBe('TERMINATED');
    stack.px!.faults.latency(0);

    const cancelled = await api<{ error: { code: string; message: string } }>(stack, 'POST', `/v1/runs/${queued}/cancel`);
    expect(cancelled.status).toBe(409);
    expect(cancelled.body.error.code).toBe('run_lost');
    expect(await run(queued)).toMatchObject({ status: 'failure', error: { code: 'RUN_LOST' } });

    expect((await run(running)).status).toBe('running');
    const fresh = await waitForRun(stack, await trigger('import-now'));
    expect(fresh.status).toBe('success');
    const lost = await run(running);
    expect(lost.status).toBe('failure');
    expect(lost.error?.code).toBe('RUN_LOST');
    expect(lost.error?.message).toContain('Temporal no longer knows this run');
  });
});
