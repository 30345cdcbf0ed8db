// Histories recorded from real runs (npm run record-histories) replayed against today's workflow
// code: a change that would break the workflows already running in production fails here.
// tests/histories/*.json are today's recordings; each subfolder keeps the recordings made before a
// change guarded by patched() (before-local-bookkeeping: bookkeeping as ordinary activities;
// before-reconcile-lost-runs: a job workflow that did not end the runs a lost one left open;
// before-readable-temporal-ui: no summaries, no job-name or outcome search attributes, scheduled
// firings that did not wait for their run), so workflows started under older code are proven to go
// on under this one.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { historyFromText } from './support/history.js';

const DIR = fileURLToPath(new URL('./histories/', import.meta.url));
const WORKFLOW_TYPES = ['chainRunWorkflow', 'jobWorkflow', 'scheduledChainWorkflow', 'scheduledJobWorkflow', 'syncRunWorkflow'];

const recorded = readdirSync(DIR, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ workflowId: `recorded-${file.replace(/\.json$/, '').replace(/[\\/]/g, ':')}`, history: historyFromText(readFileSync(`${DIR}${file}`, 'utf8')) }));
const typesIn = (folder: string) =>
  recorded.map((r) => r.workflowId.replace('recorded-', '')).filter((id) => (folder === '' ? !id.includes(':') : id.startsWith(`${folder}:`))).map((id) => id.replace(`${folder}:`, '')).sort();

describe('recorded workflow histories', () => {
  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('cover every workflow type, today and before each patched change', () => {
    expect(typesIn('')).toEqual(WORKFLOW_TYPES);
    expect(typesIn('before-local-bookkeeping')).toEqual(WORKFLOW_TYPES);
    expect(typesIn('before-reconcile-lost-runs')).toEqual(WORKFLOW_TYPES);
    expect(typesIn('before-readable-temporal-ui')).toEqual(WORKFLOW_TYPES);
  });

  it("hold today's runs with a summary on their page activity and their outcome as a search attribute, and before, neither", () => {
    const readable = (workflowId: string) => {
      const events = recorded.find((r) => r.workflowId === workflowId)!.history.events ?? [];
      const text = (data: Uint8Array | null | undefined) => (data ? JSON.parse(Buffer.from(data).toString('utf8')) : null) as unknown;
      return {
        pageSummaries: events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncPages').map((e) => text(e.userMetadata?.summary?.data)),
        outcomes: events.flatMap((e) => {
          const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.SynclineOutcome;
          return field ? [text(field.data)] : [];
        }),
      };
    };
    const today = readable('recorded-syncRunWorkflow');
    expect(today.pageSummaries).toEqual([expect.stringMatching(/^pages from 1 of Company Person Sync_Connect to PX \(run \d+\)$/)]);
    expect(today.outcomes).toEqual(['partial_success']);
    expect(readable('recorded-before-readable-temporal-ui:syncRunWorkflow')).toEqual({ pageSummaries: [null], outcomes: [] });
  });

  it("hold today's job workflow ending the runs a lost predecessor left, and before, not", () => {
    const patches = (workflowId: string) =>
      (recorded.find((r) => r.workflowId === workflowId)!.history.events ?? [])
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
        .flatMap((e) => e.markerRecordedEventAttributes!.details!['patch-data']!.payloads!.map((p) => (JSON.parse(Buffer.from(p.data!).toString('utf8')) as { id: string }).id));
    expect(patches('recorded-jobWorkflow')).toContain('reconcile-lost-runs');
    expect(patches('recorded-before-reconcile-lost-runs:jobWorkflow')).not.toContain('reconcile-lost-runs');
  });

  it('hold bookkeeping as local activities today and as ordinary activities before', () => {
    const activityTypes = (workflowId: string) => {
      const events = recorded.find((r) => r.workflowId === workflowId)!.history.events ?? [];
      return {
        ordinary: events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
        local: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
      };
    };
    // The recorded run has a dependency: begin, ask for the dependency's run, finish.
    expect(activityTypes('recorded-syncRunWorkflow')).toEqual({ ordinary: ['syncPages'], local: 3 });
    expect(activityTypes('recorded-before-local-bookkeeping:syncRunWorkflow').ordinary).toEqual(['beginRun', 'requestRun', 'syncPages', 'finishRun']);
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
