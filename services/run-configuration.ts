// What a run runs: its job and connection as they were when it began, kept on the run. A run reads
// pages for minutes or hours; an edit made meanwhile (a mapping, a filter, a connection's setting)
// applies from the next run on, so that one run never mixes two configurations. Credentials are not
// copied: they are read from the connection when a page is read, so a replaced key takes effect at
// once and no copy of it outlives the connection.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { connections, jobs, runs, type ConnectionRow, type JobRow, type RunRow } from '../db/schema.js';
import { invalidConfiguration } from '../sync/errors.js';
import { maskedConfig } from './connections.js';

export type JobConfiguration = Pick<JobRow, 'id' | 'name' | 'connectionId' | 'sourceObject' | 'targetObject' | 'modificationType' | 'mappings' | 'derivedMappings' | 'filters' | 'dependsOn' | 'options'>;
export type ConnectionConfiguration = Pick<ConnectionRow, 'id' | 'connector' | 'name' | 'config'>;

export interface RunConfiguration {
  job: JobConfiguration;
  connection: ConnectionConfiguration;
}

/** The configuration a run began with; fixed the first time it is asked for, the same on every retry. */
export async function fixRunConfiguration(db: Db, run: RunRow): Promise<RunConfiguration> {
  if (run.configuration) return run.configuration;
  const configuration = await currentConfiguration(db, run.jobId);
  const [fixed] = await db.update(runs).set({ configuration }).where(eq(runs.id, run.id)).returning({ configuration: runs.configuration });
  return fixed?.configuration ?? configuration;
}

/** The configuration of a run, or, for a run begun before runs kept theirs, the job's current one. */
export async function configurationOf(db: Db, run: RunRow): Promise<RunConfiguration> {
  return run.configuration ?? currentConfiguration(db, run.jobId);
}

/** The job's configuration as it is now (a run fixes it when it begins; a preview applies a draft to it). */
export async function currentConfiguration(db: Db, jobId: string): Promise<RunConfiguration> {
  const [row] = await db.select({ job: jobs, connection: connections }).from(jobs).innerJoin(connections, eq(connections.id, jobs.connectionId)).where(eq(jobs.id, jobId));
  if (!row) throw invalidConfiguration(`Job ${jobId} was deleted.`);
  const { job, connection } = row;
  return {
    job: {
      id: job.id,
      name: job.name,
      connectionId: job.connectionId,
      sourceObject: job.sourceObject,
      targetObject: job.targetObject,
      modificationType: job.modificationType,
      mappings: job.mappings,
      derivedMappings: job.derivedMappings,
      filters: job.filters,
      dependsOn: job.dependsOn,
      options: job.options,
    },
    connection: { id: connection.id, connector: connection.connector, name: connection.name, config: connection.config },
  };
}

/** As the run document shows it: the job as its document has it, the connection with secrets masked. */
export function runConfigurationDocument(configuration: RunConfiguration) {
  const { job, connection } = configuration;
  return {
    job: {
      id: job.id,
      name: job.name,
      source: { object: job.sourceObject },
      target: { object: job.targetObject },
      modificationType: job.modificationType,
      mappings: job.mappings,
      derivedMappings: job.derivedMappings,
      filters: { conditions: job.filters.conditions, logic: job.filters.logic ?? null },
      dependsOn: job.dependsOn,
      options: job.options,
    },
    connection: { id: connection.id, connector: connection.connector, name: connection.name, config: maskedConfig(connection.connector, connection.config, true) },
  };
}
