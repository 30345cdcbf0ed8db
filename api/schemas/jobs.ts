import { Type, type Static } from '@sinclair/typebox';
import { FILTER_OPS, WEEKDAYS } from '../../sync/types.js';
import { FieldName, SourcePath, Timestamp } from './common.js';

const HHMM = Type.String({ description: 'a time HH:MM' });

export const ScheduleBody = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    timezone: Type.String({ default: 'UTC', maxLength: 64 }),
    frequency: Type.Union([Type.Literal('hourly'), Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('monthly')]),
    everyHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 23 })),
    daily: Type.Optional(
      Type.Union([
        Type.Object({ mode: Type.Literal('once'), at: HHMM }, { additionalProperties: false }),
        Type.Object({ mode: Type.Literal('repeat'), from: HHMM, to: HHMM, everyHours: Type.Integer({ minimum: 1, maximum: 23, default: 1 }) }, { additionalProperties: false }),
      ]),
    ),
    weekly: Type.Optional(Type.Object({ days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { minItems: 1, maxItems: 7 }), at: HHMM }, { additionalProperties: false })),
    monthly: Type.Optional(Type.Object({ day: Type.Integer({ minimum: 1, maximum: 31 }), at: HHMM }, { additionalProperties: false })),
  },
  { additionalProperties: false, $id: 'Schedule' },
);

export const MappingBody = Type.Object(
  { source: SourcePath, target: FieldName, upsertKey: Type.Boolean({ default: false }), locked: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const DerivedMappingBody = Type.Object(
  {
    target: FieldName,
    object: FieldName,
    kind: Type.Optional(Type.Union([Type.Literal('direct'), Type.Literal('self')])),
    match: Type.Array(Type.Object({ source: SourcePath, field: FieldName }, { additionalProperties: false }), { minItems: 1, maxItems: 6 }),
    onNoMatch: Type.Union([Type.Literal('error'), Type.Literal('null')], { default: 'error' }),
    onMultipleMatches: Type.Union([Type.Literal('error'), Type.Literal('any')], { default: 'error' }),
    returnField: Type.Optional(FieldName),
    locked: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const FilterValue = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Array(Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]), { maxItems: 1000 })]);

export const FiltersBody = Type.Object(
  {
    conditions: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,20}$' }),
          field: SourcePath,
          op: Type.Union(FILTER_OPS.map((op) => Type.Literal(op))),
          value: Type.Optional(FilterValue),
          locked: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      { maxItems: 50 },
    ),
    logic: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const NotificationsBody = Type.Object(
  {
    onSuccess: Type.Array(Type.String({ format: 'email', maxLength: 254 }), { maxItems: 50, default: [] }),
    onFailure: Type.Array(Type.String({ format: 'email', maxLength: 254 }), { maxItems: 50, default: [] }),
    webhookUrl: Type.Union([Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }), Type.Null()], { default: null }),
  },
  { additionalProperties: false },
);

const editable = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  modificationType: Type.Union([Type.Literal('upsert'), Type.Literal('update')]),
  mappings: Type.Array(MappingBody, { maxItems: 200 }),
  derivedMappings: Type.Array(DerivedMappingBody, { maxItems: 20 }),
  filters: FiltersBody,
  dependsOn: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20 }),
  notifications: NotificationsBody,
  lookbackSeconds: Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600 }),
  outageBudgetSeconds: Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600 }),
  options: Type.Record(Type.String({ maxLength: 100 }), Type.Unknown()),
};

export const JobPatch = Type.Partial(Type.Object(editable, { additionalProperties: false }), { additionalProperties: false });

/** What a preview may try out: the fields of a PATCH that decide what happens to records. */
export const JobDraft = Type.Partial(
  Type.Object({ modificationType: editable.modificationType, mappings: editable.mappings, derivedMappings: editable.derivedMappings, filters: editable.filters }, { additionalProperties: false }),
  { additionalProperties: false },
);

export const PreviewBody = Type.Object(
  {
    draft: Type.Optional(JobDraft),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'how many source records to read' })),
    window: Type.Optional(Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.Optional(Type.String({ format: 'date-time' })) }, { additionalProperties: false, description: 'as Import From Date; by default the window Import Now would read' })),
  },
  { additionalProperties: false },
);

const PreviewValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const PreviewAnswer = Type.Object({
  previewId: Type.String(),
  workflowId: Type.String(),
  jobId: Type.String(),
  draft: Type.Boolean({ description: 'true when a draft was previewed, false for the saved job' }),
  window: Type.Object({ from: Type.String(), to: Type.String() }),
  summary: Type.Object({ fetched: Type.Integer(), insert: Type.Integer(), update: Type.Integer(), unchanged: Type.Integer(), filtered: Type.Integer(), fail: Type.Integer() }),
  records: Type.Array(
    Type.Object({
      sourceId: Type.Union([Type.String(), Type.Null()]),
      outcome: Type.Union(['insert', 'update', 'unchanged', 'filtered', 'fail'].map((o) => Type.Literal(o))),
      values: Type.Optional(Type.Record(Type.String(), PreviewValue)),
      changes: Type.Optional(Type.Array(Type.Object({ field: Type.String(), from: PreviewValue, to: PreviewValue }))),
      filter: Type.Optional(Type.Array(Type.Object({ id: Type.String(), field: Type.String(), op: Type.String(), value: Type.Optional(Type.Unknown()) }))),
      reason: Type.Optional(Type.String()),
    }),
  ),
});
export type JobPatch = Static<typeof JobPatch>;

export const JobCreate = Type.Object(
  {
    ...editable,
    connectionId: Type.String({ minLength: 1 }),
    source: Type.Object({ object: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
    target: Type.Object({ object: FieldName }, { additionalProperties: false }),
    modificationType: Type.Optional(editable.modificationType),
    derivedMappings: Type.Optional(editable.derivedMappings),
    filters: Type.Optional(editable.filters),
    dependsOn: Type.Optional(editable.dependsOn),
    notifications: Type.Optional(editable.notifications),
    lookbackSeconds: Type.Optional(editable.lookbackSeconds),
    outageBudgetSeconds: Type.Optional(editable.outageBudgetSeconds),
    options: Type.Optional(editable.options),
  },
  { additionalProperties: false },
);
export type JobCreate = Static<typeof JobCreate>;

export const JobDocument = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    connectionId: Type.String(),
    source: Type.Object({ object: Type.String() }),
    target: Type.Object({ object: Type.String() }),
    modificationType: Type.String(),
    mappings: Type.Array(MappingBody),
    derivedMappings: Type.Array(DerivedMappingBody),
    filters: FiltersBody,
    dependsOn: Type.Array(Type.String()),
    notifications: NotificationsBody,
    lookbackSeconds: Type.Integer(),
    outageBudgetSeconds: Type.Integer(),
    options: Type.Record(Type.String(), Type.Unknown()),
    schedule: Type.Union([Type.Ref(ScheduleBody), Type.Null()]),
    nextRunAt: Type.Union([Timestamp, Type.Null()], {
      description: "when the job's schedule (or, for a member of a scheduled job chain, the chain's) next starts a run; null when nothing schedules it or the schedule is disabled",
    }),
    outOfTheBox: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Job' },
);

export const ImportFromDateBody = Type.Object(
  { from: Type.String({ format: 'date-time' }), to: Type.Optional(Type.String({ format: 'date-time' })) },
  { additionalProperties: false },
);

/** Headers of the requests that start runs. */
export const TriggerHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'Any unique string (a UUID): the same request sent again with it within 24 hours gets the first answer (header Idempotent-Replayed: true) instead of a second run.' }),
  ),
});

/** Answers of the requests that start runs, beside the usual errors: a job whose queue is full. */
export const triggerResponses = { 429: Type.Ref('Error') };

export const TriggerAnswer = Type.Object({ runId: Type.String(), status: Type.Union([Type.Literal('queued'), Type.Literal('running')]), workflowId: Type.String() });

export const JobStateAnswer = Type.Object({ watermark: Type.Union([Type.String(), Type.Null()]), running: Type.Union([Type.String(), Type.Null()]), queued: Type.Array(Type.String()) });
