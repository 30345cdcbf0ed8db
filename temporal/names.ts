// The one place that names things in Temporal: task queue, workflow ids, search attributes.
// Imported by workflows, so it must stay free of Node built-ins.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The default task queue; tests give each suite its own through TemporalContext. */
export const DEFAULT_TASK_QUEUE = 'syncline';

export const workflowIds = {
  job: (jobId: string) => `job:${jobId}`,
  jobRun: (jobId: string, n: number) => `job:${jobId}:run:${n}`,
  jobPreview: (jobId: string, n: number) => `job:${jobId}:preview:${n}`,
  jobSchedule: (jobId: string) => `job:${jobId}:schedule`,
  jobScheduledTrigger: (jobId: string) => `job:${jobId}:scheduled`,
  chainRun: (chainId: string, n: number) => `chain:${chainId}:run:${n}`,
  chainSchedule: (chainId: string) => `chain:${chainId}:schedule`,
  chainScheduledTrigger: (chainId: string) => `chain:${chainId}:scheduled`,
};

/** Run ids are what the REST API hands out; they name the job and the run number. */
export const runIdOf = (jobId: string, n: number) => `${jobId}-${n}`;
export const chainRunIdOf = (chainId: string, n: number) => `${chainId}-${n}`;

export const searchAttributes = {
  jobId: 'SynclineJobId',
  connectionId: 'SynclineConnectionId',
  trigger: 'SynclineTrigger',
  chainId: 'SynclineChainId',
  /** The job's name when the workflow started (a job workflow's follows renames). */
  jobName: 'SynclineJobName',
  /** How a run, chain run or scheduled firing ended: success, partial_success, failure, cancelled, skipped. */
  outcome: 'SynclineOutcome',
} as const;

/** The `--search-attribute` arguments a dev server needs so that runs can be found by job. */
export const searchAttributeServerArgs = Object.values(searchAttributes).flatMap((name) => [
  '--search-attribute',
  `${name}=Keyword`,
]);

/** Typed keys for setting the attributes from workflow code. */
export const searchAttributeKeys = {
  jobId: defineSearchAttributeKey(searchAttributes.jobId, SearchAttributeType.KEYWORD),
  connectionId: defineSearchAttributeKey(searchAttributes.connectionId, SearchAttributeType.KEYWORD),
  trigger: defineSearchAttributeKey(searchAttributes.trigger, SearchAttributeType.KEYWORD),
  chainId: defineSearchAttributeKey(searchAttributes.chainId, SearchAttributeType.KEYWORD),
  jobName: defineSearchAttributeKey(searchAttributes.jobName, SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey(searchAttributes.outcome, SearchAttributeType.KEYWORD),
};
