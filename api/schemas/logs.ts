import { Type } from '@sinclair/typebox';
import { LOG_TYPES } from '../../services/logs.js';
import { PageQuery, StringEnum } from './common.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const LogQuery = Type.Intersect([
  Type.Object({
    type: StringEnum(LOG_TYPES, { description: 'audit: every configuration change; execution: every run; connection: changes to connections' }),
    connector: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    connectionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    jobId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  }),
  PageQuery,
]);

export const AuditLogItem = Type.Object({
  id: Type.String(),
  when: Type.String(),
  who: Type.String({ description: "the API token's owner" }),
  entity: Type.Object({ type: Type.String(), id: Type.String(), name: Nullable(Type.String()) }),
  connector: Nullable(Type.String()),
  connectionId: Nullable(Type.String()),
  jobId: Nullable(Type.String()),
  attribute: Type.String(),
  subAttribute: Nullable(Type.String()),
  action: StringEnum(['Create', 'Edit', 'Delete'] as const),
  oldValue: Type.Unknown(),
  newValue: Type.Unknown(),
  additionalInfo: Nullable(Type.String()),
});

export const ConnectionLogItem = Type.Object({
  id: Type.String(),
  connectionId: Type.String(),
  connectionName: Nullable(Type.String()),
  connector: Nullable(Type.String()),
  user: Type.String(),
  action: StringEnum(['Create', 'Edit', 'Delete'] as const),
  modifiedOn: Type.String(),
  attribute: Type.String(),
  subAttribute: Nullable(Type.String()),
  oldValue: Type.Unknown(),
  newValue: Type.Unknown(),
  additionalInfo: Nullable(Type.String()),
});

const Count = Type.Integer();

export const ExecutionLogItem = Type.Object({
  id: Type.String({ description: 'the run id' }),
  date: Type.String({ description: 'when the run was queued' }),
  job: Type.Object({ id: Type.String(), name: Nullable(Type.String()) }),
  connection: Type.Union([Type.Object({ id: Type.String(), name: Nullable(Type.String()), connector: Nullable(Type.String()) }), Type.Null()]),
  callType: Type.Literal('APPLICATION_DATA'),
  status: Type.String({ description: 'Queued, In Progress, Retrying, Success, Partial Success, Failure or Cancelled' }),
  statusCode: Type.String({ description: 'the run status as the runs API spells it' }),
  actor: Nullable(Type.String({ description: "who asked for the run: the API token's owner, or schedule, dependency, chain" })),
  successCount: Type.Integer({ description: 'inserted + updated + unchanged' }),
  failureCount: Type.Integer(),
  counts: Type.Object({ fetched: Count, filtered: Count, inserted: Count, updated: Count, unchanged: Count, failed: Count }),
  trigger: Type.String(),
  window: Type.Object({ from: Nullable(Type.String()), to: Nullable(Type.String()) }),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  durationSeconds: Type.Union([Type.Number(), Type.Null()]),
  errorMessage: Nullable(Type.String()),
  errorCode: Nullable(Type.String()),
  waitedMessage: Nullable(Type.String({ description: 'how long the run waited on outages and why, e.g. "Waited 1 min 52 s on an outage (8 failed attempts); last error: …"; null when it never waited' })),
  waitingMessage: Nullable(Type.String({ description: 'while the run waits on retries: since when, which attempt, and the last error' })),
  failedRecordsUrl: Nullable(Type.String({ description: 'the failed records as CSV; null when none failed' })),
  runUrl: Type.String(),
});

export const LogPage = Type.Object({
  items: Type.Array(Type.Union([AuditLogItem, ExecutionLogItem, ConnectionLogItem])),
  nextCursor: Nullable(Type.String()),
});
