// When a job runs next on its own: the next firing of its Temporal Schedule, or, for a member of a
// scheduled chain (whose schedule then rules, temporal/schedules.ts), the chain's.
import { ScheduleNotFoundError } from '@temporalio/client';
import { isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { jobChains, type JobRow } from '../db/schema.js';
import type { TemporalContext } from '../temporal/context.js';
import { toJobDocument } from './jobs.js';
import { workflowIds } from '../temporal/names.js';

async function nextFiring(temporal: TemporalContext, scheduleId: string): Promise<Date | null> {
  try {
    const { info, state } = await temporal.client.schedule.getHandle(scheduleId).describe();
    return state.paused ? null : (info.nextActionTimes[0] ?? null);
  } catch (error) {
    // Syncline's copy says scheduled but Temporal has none (deleted by hand): nothing will fire.
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

/** Each job's next scheduled run, by job id; null for a job nothing schedules (or whose schedule is paused). */
export async function nextRunTimes(temporal: TemporalContext, db: Db, rows: Pick<JobRow, 'id' | 'schedule'>[]): Promise<Map<string, Date | null>> {
  const times = new Map<string, Date | null>(rows.map((r) => [r.id, null]));
  if (rows.length === 0) return times;
  const chains = await db.select({ id: jobChains.id, jobIds: jobChains.jobIds }).from(jobChains).where(isNotNull(jobChains.schedule));
  const chainOf = (jobId: string) => chains.find((c) => c.jobIds.includes(jobId));
  const chainTimes = new Map<string, Promise<Date | null>>();
  await Promise.all(
    rows.map(async (row) => {
      const chain = chainOf(row.id);
      if (chain) {
        if (!chainTimes.has(chain.id)) chainTimes.set(chain.id, nextFiring(temporal, workflowIds.chainSchedule(chain.id)));
        times.set(row.id, await chainTimes.get(chain.id)!);
      } else if (row.schedule?.enabled) {
        times.set(row.id, await nextFiring(temporal, workflowIds.jobSchedule(row.id)));
      }
    }),
  );
  return times;
}

/** Job documents as the API answers them: each with when it runs next on its own. */
export async function jobDocuments(temporal: TemporalContext, db: Db, rows: JobRow[]) {
  const next = await nextRunTimes(temporal, db, rows);
  return rows.map((row) => ({ ...toJobDocument(row), nextRunAt: next.get(row.id)?.toISOString() ?? null }));
}

export async function jobDocument(temporal: TemporalContext, db: Db, row: JobRow) {
  return (await jobDocuments(temporal, db, [row]))[0]!;
}
