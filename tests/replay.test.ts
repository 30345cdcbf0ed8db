// Histories recorded from real runs (npm run record-histories) replayed against today's workflow
// code: a change that would break the workflows already running in production fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { historyFromText } from './support/history.js';

const DIR = fileURLToPath(new URL('./histories/', import.meta.url));
const WORKFLOW_TYPES = ['chainRunWorkflow', 'jobWorkflow', 'scheduledChainWorkflow', 'scheduledJobWorkflow', 'syncRunWorkflow'];

const recorded = readdirSync(DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ workflowId: `recorded-${file.replace(/\.json$/, '')}`, history: historyFromText(readFileSync(`${DIR}${file}`, 'utf8')) }));

describe('recorded workflow histories', () => {
  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('cover every workflow type', () => {
    expect(recorded.map((r) => r.workflowId.replace('recorded-', '')).sort()).toEqual(WORKFLOW_TYPES);
  });

  it('replay against the current workflows without nondeterminism', async () => {
    // The bundle global-setup built from workflows/index.ts, the worker's workflowsPath.
    const outcomes: { workflowId: string; error: string | null }[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, recorded)) {
      outcomes.push({ workflowId: result.workflowId, error: result.error ? `${result.error.name}: ${result.error.message}` : null });
    }
    expect(outcomes.sort((a, b) => a.workflowId.localeCompare(b.workflowId))).toEqual(recorded.map((r) => ({ workflowId: r.workflowId, error: null })).sort((a, b) => a.workflowId.localeCompare(b.workflowId)));
  });

  it('catch a workflow whose commands changed', async () => {
    const syncRun = recorded.find((r) => r.workflowId === 'recorded-syncRunWorkflow')!;
    const altered = fileURLToPath(new URL('./support/altered-workflows.ts', import.meta.url));
    await expect(Worker.runReplayHistory({ workflowsPath: altered }, syncRun.history, syncRun.workflowId)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
