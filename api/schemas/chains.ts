import { Type, type Static } from '@sinclair/typebox';
import { Timestamp } from './common.js';
import { ScheduleBody } from './jobs.js';
import { RunDocument } from './runs.js';

const JobIds = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50, description: 'the member jobs, in the order they run' });
const NullableSchedule = Type.Union([Type.Ref(ScheduleBody), Type.Null()]);

export const ChainCreate = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), jobIds: JobIds, schedule: Type.Optional(NullableSchedule) },
  { additionalProperties: false },
);
export type ChainCreate = Static<typeof ChainCreate>;

export const ChainPatch = Type.Partial(ChainCreate, { additionalProperties: false });

export const ChainDocument = Type.Object({
  id: Type.String(),
  name: Type.String(),
  jobIds: Type.Array(Type.String()),
  schedule: NullableSchedule,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ChainRunDocument = Type.Object({
  id: Type.String(),
  chainId: Type.String(),
  trigger: Type.String(),
  status: Type.String(),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  workflowId: Type.String(),
  startedAt: Timestamp,
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  runs: Type.Array(Type.Ref(RunDocument), { description: 'the member runs, in the order they were asked for' }),
});

export const ChainRunAnswer = Type.Object({ chainRunId: Type.String(), workflowId: Type.String() });
