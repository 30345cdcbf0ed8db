// What a run waited on. While a page keeps failing with an outage, each failed attempt notes it on
// the run (when it began, the attempt, the error); the first page committed after it, or the end of
// the run, folds the streak into `waited`, so that a run that rode out an outage says so afterwards
// in the API, the execution log and its notifications. The live view while it waits (next attempt,
// attempt in progress) comes from Temporal: temporal/run-waiting.ts.
import { sql as dsql, eq, and, isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { runs } from '../db/schema.js';
import type { RunWaited, RunWaiting, StoredError } from '../sync/types.js';

/** Notes a failed attempt of the run's page work; the streak keeps the time its first attempt failed. */
export async function noteFailedAttempt(db: Db, runId: string, attempt: number, error: StoredError): Promise<void> {
  await db
    .update(runs)
    .set({
      waiting: dsql`jsonb_build_object(
        'since', coalesce(${runs.waiting}->>'since', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
        'attempts', ${attempt}::int,
        'lastError', ${JSON.stringify(error)}::jsonb)`,
    })
    .where(and(eq(runs.id, runId), eq(runs.status, 'running')));
}

/** Ends the run's current streak of failed attempts, if any, adding it to what the run waited. */
export async function endWaiting(db: Pick<Db, 'update'>, runId: string): Promise<void> {
  await db
    .update(runs)
    .set({
      waited: dsql`jsonb_build_object(
        'outages', coalesce((${runs.waited}->>'outages')::int, 0) + 1,
        'seconds', coalesce((${runs.waited}->>'seconds')::numeric, 0)
          + round(greatest(extract(epoch from now() - (${runs.waiting}->>'since')::timestamptz), 0)::numeric, 1),
        'failedAttempts', coalesce((${runs.waited}->>'failedAttempts')::int, 0) + (${runs.waiting}->>'attempts')::int,
        'lastError', ${runs.waiting}->'lastError')`,
      waiting: null,
    })
    .where(and(eq(runs.id, runId), isNotNull(runs.waiting)));
}

/** How long a wait lasted, in words: "1 min 52 s". */
export function durationWords(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : '', rest > 0 && h === 0 ? `${rest} s` : ''].filter(Boolean).join(' ');
}

/** One sentence for the execution log, notifications and the console: "Waited 1 min 52 s on an outage (8 failed attempts): …". */
export function waitedSentence(waited: RunWaited): string {
  const outages = waited.outages === 1 ? 'an outage' : `${waited.outages} outages`;
  const attempts = `${waited.failedAttempts} failed attempt${waited.failedAttempts === 1 ? '' : 's'}`;
  return `Waited ${durationWords(waited.seconds)} on ${outages} (${attempts}); last error: ${waited.lastError.message}`;
}

export type { RunWaited, RunWaiting };
