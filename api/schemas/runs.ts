import { Type } from '@sinclair/typebox';
import { RUN_STATUSES, RUN_TRIGGERS } from '../../sync/types.js';
import { PageQuery, StringEnum } from './common.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Counts = Type.Object({ fetched: Type.Integer(), filtered: Type.Integer(), inserted: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), failed: Type.Integer() });
const ErrorValue = Type.Object({ code: Type.String(), message: Type.String() });

/** Statuses a run document can show: the stored ones, and `retrying` for a running run that waits on retries. */
export const RUN_DOCUMENT_STATUSES = [...RUN_STATUSES.slice(0, 2), 'retrying', ...RUN_STATUSES.slice(2)] as const;

const Waiting = Type.Object(
  {
    reason: StringEnum(['source_unavailable', 'worker_lost', 'transient_error'] as const, {
      description: 'source_unavailable: the source is down or rate-limits; worker_lost: the worker running the page stopped answering; transient_error: anything else Temporal retries (the database, say)',
    }),
    attempt: Type.Integer({ description: 'the attempt Temporal is on: waiting for it, or running it (9 after 8 failed attempts)' }),
    lastError: ErrorValue,
    since: Type.String({ description: 'when the first of these failed attempts failed' }),
    nextAttemptAt: Nullable(Type.String({ description: 'when Temporal starts the next attempt; null while an attempt runs' })),
  },
  { description: "Set while the run's page work fails and is retried with backoff (from Temporal's pending activity on GET /v1/runs/:id; from what the failed attempts recorded in lists); null otherwise" },
);

const Waited = Type.Object(
  {
    outages: Type.Integer({ description: 'how many times the run waited (streaks of failed attempts that ended)' }),
    seconds: Type.Number({ description: 'how long it waited, all told' }),
    failedAttempts: Type.Integer(),
    lastError: ErrorValue,
  },
  { description: 'What the run waited on outages that ended: a run that waited and then succeeded says so here; null when it never waited' },
);

export const RunDocument = Type.Object(
  {
    id: Type.String(),
    jobId: Type.String(),
    chainRunId: Nullable(Type.String()),
    parentRunId: Nullable(Type.String({ description: 'the run this one retries (retry_failed) or was asked for by (dependency)' })),
    trigger: Type.String(),
    actor: Nullable(Type.String({ description: "who asked for the run: the API token's owner, or schedule, dependency, chain" })),
    status: StringEnum(RUN_DOCUMENT_STATUSES, { description: 'retrying: running, and its page work is failing and being retried (see waiting)' }),
    waiting: Type.Union([Waiting, Type.Null()]),
    waited: Type.Union([Waited, Type.Null()]),
    window: Type.Object({ from: Nullable(Type.String()), to: Nullable(Type.String()) }),
    counts: Counts,
    progress: Type.Object({ recordsProcessed: Type.Integer(), pages: Type.Integer() }),
    error: Type.Union([ErrorValue, Type.Null()]),
    workflowId: Type.String({ description: "the run's workflow in Temporal; it exists once the run leaves the queue (until then the job's workflow, job:<jobId>, holds it)" }),
    queuedAt: Type.String(),
    startedAt: Nullable(Type.String()),
    finishedAt: Nullable(Type.String()),
    sourceUsage: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "what the source last reported of its usage limits during the run (Salesforce: dailyApiRequests used and max); absent when it reported nothing" })),
    files: Type.Optional(Type.Array(Type.Object({ name: Type.String(), counts: Counts }), { description: 'counts per source file, for runs of file-based connectors' })),
    configuration: Type.Optional(
      Type.Union([Type.Object({ job: Type.Record(Type.String(), Type.Unknown()), connection: Type.Record(Type.String(), Type.Unknown()) }), Type.Null()], {
        description: 'GET /v1/runs/:id only: the job and connection (secrets masked) as they were when the run began, which the whole run uses; null until it begins',
      }),
    ),
  },
  { $id: 'Run' },
);

/** Filters of run lists; `from`/`to` bound when the run was asked for (queuedAt), from inclusive. */
export const RunFilters = Type.Object({
  status: Type.Optional(StringEnum(RUN_DOCUMENT_STATUSES, { description: 'retrying picks running runs that wait on retries' })),
  trigger: Type.Optional(StringEnum(RUN_TRIGGERS)),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'runs queued at or after this time' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'runs queued before this time' })),
});

export const JobRunsQuery = Type.Intersect([PageQuery, RunFilters]);
export const RunsQuery = Type.Intersect([PageQuery, RunFilters, Type.Object({ jobId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })]);
