// Messages and payloads of Syncline's workflows. Plain JSON only: it survives continue-as-new and
// stays small (no record data ever travels here).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RunCounts, RunStatus, RunTrigger, StoredError } from '../sync/types.js';

export interface IsoWindow {
  from: string;
  to: string;
}

export interface TriggerRequest {
  trigger: RunTrigger;
  /** Import From Date only. */
  window?: { from: string; to?: string | null };
  chainRunId?: string | null;
  parentRunId?: string | null;
  /** Workflow ids to tell when this run ends (a dependent run, a chain run). */
  notify?: string[];
  /** The API token's owner who asked; other triggers name the run after themselves. */
  actor?: string | null;
}

export interface TriggerResult {
  runId: string;
  workflowId: string;
  status: 'queued' | 'running';
}

export interface QueuedRun {
  runId: string;
  n: number;
  trigger: RunTrigger;
  incremental: boolean;
  window: { from: string; to?: string | null } | null;
  chainRunId: string | null;
  parentRunId: string | null;
  notify: string[];
  /** Absent in runs queued before runs recorded who asked. */
  actor?: string | null;
}

export interface JobWorkflowState {
  jobId: string;
  watermark: string | null;
  nextRun: number;
  queue: QueuedRun[];
  /** Runs before the workflow continues as new (default 100); tests set a small number. */
  runsPerHistory?: number;
}

export interface JobStateView {
  watermark: string | null;
  running: string | null;
  queued: string[];
}

export interface RunFinished {
  runId: string;
  jobId: string;
  status: RunStatus;
  error: StoredError | null;
}

export interface SyncRunInput {
  runId: string;
  jobId: string;
  /** For what the Temporal UI shows; absent in runs started before it was passed. */
  jobName?: string;
  n?: number;
  connectionId: string;
  trigger: RunTrigger;
  window: IsoWindow;
  outageBudgetSeconds: number;
}

export interface SyncRunResult {
  status: RunStatus;
  counts: RunCounts;
  error: StoredError | null;
}

/** What a slice of page work did: whether the source is exhausted, pages so far, and the run's counts (absent in older histories). */
export interface PagesSlice {
  done: boolean;
  pages: number;
  counts?: RunCounts;
}

export interface ChainRunInput {
  chainId: string;
  chainRunId: string;
  jobIds: string[];
}

export const triggerUpdate = defineUpdate<TriggerResult, [TriggerRequest]>('trigger');

/**
 * Runs a client may queue on one job. Repeated Import Now and uploads coalesce into one queued run,
 * so in practice this bounds distinct Import From Date windows; a looping client would otherwise
 * grow the workflow's state and history until Temporal terminated it.
 */
export const MAX_QUEUED_RUNS = 20;
/** The type of the failure a trigger gets when the job's queue is full. */
export const QUEUE_FULL = 'QUEUE_FULL';
/** The job's state after a reset, and the watermark the reset cleared (for the audit log). */
export interface WatermarkReset extends JobStateView {
  cleared: string | null;
}

export const resetWatermarkUpdate = defineUpdate<WatermarkReset, []>('resetWatermark');
export const cancelRunSignal = defineSignal<[string]>('cancelRun');
export const deleteJobSignal = defineSignal('deleteJob');
/** The job was renamed: its workflow's memo and search attribute follow. */
export const renameJobSignal = defineSignal<[string]>('renameJob');
export const stateQuery = defineQuery<JobStateView>('state');
/** Sent by a job workflow to whoever asked to be told when a run ends. */
export const runFinishedSignal = defineSignal<[RunFinished]>('runFinished');
