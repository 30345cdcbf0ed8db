import { Type } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Counts = Type.Object({ fetched: Type.Integer(), filtered: Type.Integer(), inserted: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), failed: Type.Integer() });

export const RunDocument = Type.Object(
  {
    id: Type.String(),
    jobId: Type.String(),
    chainRunId: Nullable(Type.String()),
    parentRunId: Nullable(Type.String({ description: 'the run this one retries (retry_failed) or was asked for by (dependency)' })),
    trigger: Type.String(),
    status: Type.String(),
    window: Type.Object({ from: Nullable(Type.String()), to: Nullable(Type.String()) }),
    counts: Counts,
    progress: Type.Object({ recordsProcessed: Type.Integer(), pages: Type.Integer() }),
    error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
    workflowId: Type.String(),
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
