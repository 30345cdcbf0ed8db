// Where a run's records come from: its connector, read with the run's configuration and window; or,
// for a retry of failed records, the failures it retries (activities/failed-records.ts). A job
// preview reads through the same source as a run would.
import type { ReadPage, ReadRequest, Window } from '../connectors/types.js';
import type { RunConfiguration } from '../services/run-configuration.js';
import { openSession } from '../services/sessions.js';
import { sourceFieldsOf } from '../sync/source-fields.js';
import type { RunTrigger } from '../sync/types.js';
import type { ActivityDeps } from './deps.js';
import { FailedRecords, type RetryScope } from './failed-records.js';

export interface RunSource {
  /** The source field that identifies a record, reported with failures. */
  idField: string;
  read(cursor: unknown): Promise<ReadPage>;
}

export interface SourceRun {
  id: string;
  jobId: string;
  trigger: RunTrigger;
  window: Window;
  /** A retry of failed records reads these instead of the connector. */
  retry?: RetryScope;
}

export async function openRunSource(deps: ActivityDeps, { job, connection }: RunConfiguration, run: SourceRun, pageSize?: number): Promise<RunSource> {
  const { db } = deps.database;
  const session = await openSession(db, deps.secrets, deps.outbound, connection.id, connection.config);
  const idField = session.idField(job.sourceObject);
  if (run.retry) return { idField, read: (cursor) => new FailedRecords(db.$client, run.retry!).readPage(cursor, pageSize) };
  const fields = sourceFieldsOf(job);
  const size = pageSize ?? deps.pageSize;
  const request = (cursor: unknown): ReadRequest => ({
    object: job.sourceObject,
    window: run.window,
    cursor,
    filters: job.filters,
    options: { ...job.options, ...(size ? { pageSize: size } : {}) },
    fields,
    run: { id: run.id, jobId: job.id, trigger: run.trigger },
  });
  return { idField, read: (cursor) => session.readPage(request(cursor)) };
}
