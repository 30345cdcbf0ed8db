// Steps most end-to-end tests share: connect PX, pick the upsert key, run a job to its end.
import { expect } from 'vitest';
import { api, eventually, PX_KEY, type Stack } from './stack.js';

export interface JobDoc {
  id: string;
  name: string;
  mappings: { source: string; target: string; upsertKey: boolean; locked?: boolean }[];
  derivedMappings: unknown[];
  filters: { conditions: unknown[]; logic: string | null };
  dependsOn: string[];
  [key: string]: unknown;
}

export interface RunDoc {
  id: string;
  jobId: string;
  status: string;
  trigger: string;
  window: { from: string | null; to: string | null };
  counts: { fetched: number; filtered: number; inserted: number; updated: number; unchanged: number; failed: number };
  error: { code: string; message: string } | null;
  workflowId: string;
  chainRunId: string | null;
}

export async function connectPx(stack: Stack, name = 'Connect to PX', extra: Record<string, unknown> = {}) {
  const created = await api<{ id: string }>(stack, 'POST', '/v1/connections', {
    connector: 'gainsight-px',
    name,
    config: { apiKey: PX_KEY, baseUrl: stack.px!.url, ...extra },
  });
  expect(created.status, created.text).toBe(201);
  const listed = await api<{ items: JobDoc[] }>(stack, 'GET', `/v1/jobs?connectionId=${created.body.id}`);
  const companySync = listed.body.items.find((j) => j.name === `Company Sync_${name}`)!;
  const companyPersonSync = listed.body.items.find((j) => j.name === `Company Person Sync_${name}`)!;
  return { connectionId: created.body.id, companySync, companyPersonSync };
}

/** Marks `id → px_account_id` as the upsert key, as the PX documentation tells admins to. */
export async function chooseAccountIdKey(stack: Stack, job: JobDoc): Promise<JobDoc> {
  const mappings = job.mappings.map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' }));
  const patched = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings });
  expect(patched.status, patched.text).toBe(200);
  return patched.body;
}

/**
 * Waits for the run to end, and for its job's workflow to be done with it: a run's row says it
 * ended a moment before that workflow, which owns the watermark, moves it.
 */
export async function waitForRun(stack: Stack, runId: string, timeoutMs = 30_000): Promise<RunDoc> {
  return eventually(
    `run ${runId} to end`,
    async () => {
      const run = await api<RunDoc>(stack, 'GET', `/v1/runs/${runId}`);
      if (!['success', 'partial_success', 'failure', 'cancelled'].includes(run.body.status)) return null;
      const state = await api<{ running: string | null }>(stack, 'GET', `/v1/jobs/${run.body.jobId}/state`);
      return state.body.running === runId ? null : run.body;
    },
    timeoutMs,
  );
}

export async function importNow(stack: Stack, jobId: string): Promise<RunDoc> {
  const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${jobId}/import-now`);
  expect(triggered.status, triggered.text).toBe(202);
  return waitForRun(stack, triggered.body.runId);
}
