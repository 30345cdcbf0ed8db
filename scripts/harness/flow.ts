// What an admin does through the API in a benchmark or chaos run: connect PX, choose the upsert
// key, press Import Now and watch the run to its end.
import type { HarnessStack } from './stack.js';

export interface RunDoc {
  id: string;
  jobId: string;
  status: string;
  trigger: string;
  window: { from: string | null; to: string | null };
  counts: { fetched: number; filtered: number; inserted: number; updated: number; unchanged: number; failed: number };
  error: { code: string; message: string } | null;
  workflowId: string;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface JobDoc {
  id: string;
  name: string;
  mappings: { source: string; target: string; upsertKey: boolean }[];
}

const FINAL = ['success', 'partial_success', 'failure', 'cancelled'];

export async function call<T>(stack: HarnessStack, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await stack.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${stack.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: (response.body ? JSON.parse(response.body) : null) as T };
}

async function expectStatus<T>(what: string, expected: number, answer: Promise<{ status: number; body: T }>): Promise<T> {
  const { status, body } = await answer;
  if (status !== expected) throw new Error(`${what} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** A PX connection with the Company Sync keyed on px_account_id, as the PX documentation says. */
export async function connectPx(stack: HarnessStack): Promise<{ connectionId: string; companySync: string; companyPersonSync: string }> {
  const name = 'Connect to PX';
  const created = await expectStatus<{ id: string }>('creating the connection', 201, call(stack, 'POST', '/v1/connections', {
    connector: 'gainsight-px',
    name,
    config: { apiKey: stack.sim.apiKey, baseUrl: stack.sim.url },
  }));
  const listed = await expectStatus<{ items: JobDoc[] }>('listing jobs', 200, call(stack, 'GET', `/v1/jobs?connectionId=${created.id}`));
  const companySync = listed.items.find((j) => j.name === `Company Sync_${name}`)!;
  const companyPersonSync = listed.items.find((j) => j.name === `Company Person Sync_${name}`)!;
  const mappings = companySync.mappings.map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' }));
  await expectStatus('choosing the upsert key', 200, call(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { mappings }));
  return { connectionId: created.id, companySync: companySync.id, companyPersonSync: companyPersonSync.id };
}

export async function importNow(stack: HarnessStack, jobId: string): Promise<string> {
  const answer = await expectStatus<{ runId: string }>('Import Now', 202, call(stack, 'POST', `/v1/jobs/${jobId}/import-now`));
  return answer.runId;
}

export async function getRun(stack: HarnessStack, runId: string): Promise<RunDoc> {
  return expectStatus<RunDoc>(`reading run ${runId}`, 200, call(stack, 'GET', `/v1/runs/${runId}`));
}

/**
 * Polls the run until it ends: every 20 ms at first, then about a hundredth of the time waited so
 * far (at most every `maxPollMs`), so a long run is timed within 1% without the polling itself
 * loading the machine the run shares.
 */
export async function waitForRun(stack: HarnessStack, runId: string, timeoutMs: number, maxPollMs = 500): Promise<RunDoc> {
  const started = Date.now();
  for (;;) {
    const run = await getRun(stack, runId);
    if (FINAL.includes(run.status)) return run;
    const waited = Date.now() - started;
    if (waited > timeoutMs) throw new Error(`run ${runId} did not end within ${timeoutMs} ms (status ${run.status})`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(maxPollMs, Math.max(20, waited / 100))));
  }
}

export interface JobState {
  watermark: string | null;
  running: string | null;
  queued: string[];
}

/** Waits until the job's workflow has nothing running or queued, and answers its state. */
export async function jobIdle(stack: HarnessStack, jobId: string, timeoutMs: number): Promise<JobState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await expectStatus<JobState>('reading job state', 200, call(stack, 'GET', `/v1/jobs/${jobId}/state`));
    if (state.running === null && state.queued.length === 0) return state;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still busy after ${timeoutMs} ms: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
