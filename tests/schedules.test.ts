import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, type CalendarSpecDescription, type Range } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TemporalContext } from '../temporal/context.js';
import { searchAttributeKeys, workflowIds } from '../temporal/names.js';
import {
  deleteChainSchedule,
  deleteJobSchedule,
  describeNextRuns,
  scheduleSpecFor,
  upsertChainSchedule,
  upsertJobSchedule,
  validateSchedule,
} from '../temporal/schedules.js';
import type { Schedule } from '../sync/types.js';

const daily = (from: string, to: string, everyHours: number, timezone = 'UTC'): Schedule => ({
  enabled: true,
  timezone,
  frequency: 'daily',
  daily: { mode: 'repeat', from, to, everyHours },
});

/** Every HH:MM a calendar description matches, so specs can be compared by what they mean. */
function wallClockTimes(calendars: CalendarSpecDescription[]): string[] {
  const times = calendars.flatMap((calendar) => expand(calendar.hour).flatMap((hour) => expand(calendar.minute).map((minute) => hhmm(hour, minute))));
  return [...new Set(times)].sort();
}

function expand(ranges: Range<number>[]): number[] {
  return ranges.flatMap(({ start, end, step }) => {
    const values: number[] = [];
    for (let value = start; value <= end; value += step || 1) values.push(value);
    return values;
  });
}

const hhmm = (hour: number, minute: number) => `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;

/** A moment as a wall clock in a time zone: weekday, day of month and HH:MM. */
function wallClock(date: Date, timeZone: string): { weekday: string; day: number; time: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return { weekday: part('weekday'), day: Number(part('day')), time: `${part('hour')}:${part('minute')}` };
}

function attributesByName(attributes: SearchAttributePair[] | TypedSearchAttributes | undefined): Record<string, unknown> {
  const pairs = attributes instanceof TypedSearchAttributes ? attributes.getAll() : (attributes ?? []);
  return Object.fromEntries(pairs.map((pair) => [pair.key.name, pair.value]));
}

describe('schedule specs', () => {
  it('runs hourly schedules on the clock hours of their time zone, every N hours from midnight', () => {
    expect(scheduleSpecFor({ enabled: true, timezone: 'Asia/Kolkata', frequency: 'hourly', everyHours: 6 })).toEqual({
      calendars: [{ hour: { start: 0, end: 23, step: 6 }, minute: 0, comment: 'every 6 h' }],
      timezone: 'Asia/Kolkata',
    });
  });

  it('adds the end of a daily window as its own time when it is not on the step', () => {
    const spec = scheduleSpecFor(daily('10:30', '14:00', 1));
    expect(spec.calendars).toEqual([
      { hour: { start: 10, end: 13, step: 1 }, minute: 30, comment: 'daily 10:30 to 14:00 every 1 h' },
      { hour: 14, minute: 0, comment: 'daily 10:30 to 14:00: the end of the window' },
    ]);
  });

  it('runs a window whose start and end are the same time once', () => {
    expect(scheduleSpecFor(daily('09:15', '09:15', 3)).calendars).toEqual([{ hour: { start: 9, end: 9, step: 3 }, minute: 15, comment: 'daily 09:15 to 09:15 every 3 h' }]);
  });

  it('refuses to build a spec for an invalid schedule, naming the problem', () => {
    expect(() => scheduleSpecFor(daily('25:99', '14:00', 1))).toThrow('daily.from must be a time HH:MM between 00:00 and 23:59, got "25:99"');
  });
});

describe('schedule validation', () => {
  const problems = (schedule: unknown) => validateSchedule(schedule);

  it('accepts each frequency in its documented form', () => {
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'hourly', everyHours: 1 })).toEqual([]);
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'daily', daily: { mode: 'once', at: '09:30' } })).toEqual([]);
    expect(problems(daily('10:00', '14:00', 1, 'America/New_York'))).toEqual([]);
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'weekly', weekly: { days: ['mon', 'thu'], at: '06:00' } })).toEqual([]);
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'monthly', monthly: { day: 1, at: '02:00' } })).toEqual([]);
  });

  it('names an impossible time with its path and the expected format', () => {
    expect(problems(daily('25:99', '14:00', 1))).toEqual([{ path: '/daily/from', message: 'daily.from must be a time HH:MM between 00:00 and 23:59, got "25:99"' }]);
  });

  it('rejects an unknown time zone, quoting what the time-zone database said', () => {
    expect(problems({ ...daily('10:00', '14:00', 1), timezone: 'Mars/Olympus_Mons' })).toEqual([
      {
        path: '/timezone',
        message: 'timezone must be an IANA time zone such as "UTC" or "Europe/Paris", got "Mars/Olympus_Mons" (Invalid time zone specified: Mars/Olympus_Mons)',
      },
    ]);
  });

  it('asks for the exact capitalisation of a time zone, which Temporal needs', () => {
    const withZone = (timezone: string) => problems({ ...daily('10:00', '14:00', 1), timezone });
    expect(withZone('utc')).toEqual([{ path: '/timezone', message: 'timezone must be written "UTC" (time-zone names are case-sensitive), got "utc"' }]);
    expect(withZone('america/new_york')).toEqual([
      { path: '/timezone', message: 'timezone must be written "America/New_York" (time-zone names are case-sensitive), got "america/new_york"' },
    ]);
  });

  it('accepts time-zone aliases, old and new', () => {
    for (const timezone of ['Asia/Kolkata', 'Asia/Calcutta', 'US/Eastern', 'Etc/UTC']) expect(problems({ ...daily('10:00', '14:00', 1), timezone })).toEqual([]);
  });

  it('requires at least one weekday, each known and listed once', () => {
    const weekly = (days: unknown) => ({ enabled: true, timezone: 'UTC', frequency: 'weekly', weekly: { days, at: '06:00' } });
    expect(problems(weekly([]))).toEqual([{ path: '/weekly/days', message: 'weekly.days must list at least one weekday (from sun, mon, tue, wed, thu, fri, sat)' }]);
    expect(problems(weekly(['mon', 'monday', 'mon']))).toEqual([
      { path: '/weekly/days/1', message: 'weekly.days[1] must be one of sun, mon, tue, wed, thu, fri, sat, got "monday"' },
      { path: '/weekly/days/2', message: 'weekly.days[2] repeats "mon"; list each day once' },
    ]);
  });

  it('requires everyHours to be a whole number from 1 to 23', () => {
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'hourly', everyHours: 0 })).toEqual([
      { path: '/everyHours', message: 'everyHours must be a whole number of hours from 1 to 23, got 0' },
    ]);
    expect(problems(daily('10:00', '14:00', 1.5))).toEqual([{ path: '/daily/everyHours', message: 'daily.everyHours must be a whole number of hours from 1 to 23, got 1.5' }]);
  });

  it('requires a daily window to start before or when it ends', () => {
    expect(problems(daily('22:00', '02:00', 1))).toEqual([
      { path: '/daily/to', message: 'daily.to must be at or after daily.from (a window cannot cross midnight), got from "22:00" and to "02:00"' },
    ]);
  });

  it('requires the section that matches the frequency, and a known frequency', () => {
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'monthly' })).toEqual([
      { path: '/monthly', message: 'monthly is required when frequency is "monthly", e.g. { "day": 1, "at": "02:00" }' },
    ]);
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'yearly' })).toEqual([
      { path: '/frequency', message: 'frequency must be one of hourly, daily, weekly, monthly, got "yearly"' },
    ]);
  });

  it('requires a monthly day from 1 to 31', () => {
    expect(problems({ enabled: true, timezone: 'UTC', frequency: 'monthly', monthly: { day: 32, at: '02:00' } })).toEqual([
      { path: '/monthly/day', message: 'monthly.day must be a whole number from 1 to 31, got 32' },
    ]);
  });
});

describe('Temporal Schedules for jobs and chains', () => {
  let connection: Connection;
  let temporal: TemporalContext;
  const jobIds: string[] = [];
  const chainIds: string[] = [];

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    temporal = { client: new Client({ connection }), taskQueue: `schedules-${randomUUID()}` };
  });

  afterEach(async () => {
    await Promise.all([...jobIds.splice(0).map((id) => deleteJobSchedule(temporal, id)), ...chainIds.splice(0).map((id) => deleteChainSchedule(temporal, id))]);
  });

  afterAll(async () => {
    await connection.close();
  });

  async function scheduleJob(schedule: Schedule, jobId = `test-${randomUUID()}`) {
    if (!jobIds.includes(jobId)) jobIds.push(jobId);
    await upsertJobSchedule(temporal, { id: jobId, name: 'Company Sync', connectionId: 'conn-1' }, schedule);
    const handle = temporal.client.schedule.getHandle(workflowIds.jobSchedule(jobId));
    return { jobId, handle, description: await handle.describe() };
  }

  it('runs a daily 10:00 to 14:00 hourly window at 10, 11, 12, 13 and 14 o’clock in its time zone', async () => {
    const { description } = await scheduleJob(daily('10:00', '14:00', 1, 'America/New_York'));

    expect(description.spec.timezone).toBe('America/New_York');
    expect(wallClockTimes(description.spec.calendars ?? [])).toEqual(['10:00', '11:00', '12:00', '13:00', '14:00']);
    const upcoming = description.info.nextActionTimes.map((time) => wallClock(time, 'America/New_York').time);
    expect(upcoming.length).toBeGreaterThanOrEqual(5);
    expect(new Set(upcoming)).toEqual(new Set(['10:00', '11:00', '12:00', '13:00', '14:00']));
  });

  it('includes the end of a window that is not on the step: 10:00 to 13:00 every 2 hours runs at 10, 12 and 13', async () => {
    const { description } = await scheduleJob(daily('10:00', '13:00', 2, 'America/New_York'));

    expect(wallClockTimes(description.spec.calendars ?? [])).toEqual(['10:00', '12:00', '13:00']);
    const upcoming = description.info.nextActionTimes.map((time) => wallClock(time, 'America/New_York').time);
    expect(new Set(upcoming)).toEqual(new Set(['10:00', '12:00', '13:00']));
  });

  it('runs hourly schedules on the clock hours of a time zone with a half-hour offset', async () => {
    const { description } = await scheduleJob({ enabled: true, timezone: 'Asia/Kolkata', frequency: 'hourly', everyHours: 6 });

    const upcoming = description.info.nextActionTimes.map((time) => wallClock(time, 'Asia/Kolkata').time);
    expect(new Set(upcoming)).toEqual(new Set(['00:00', '06:00', '12:00', '18:00']));
  });

  it('runs weekly schedules on the chosen weekdays at the chosen time', async () => {
    const { description } = await scheduleJob({ enabled: true, timezone: 'Europe/Paris', frequency: 'weekly', weekly: { days: ['mon', 'thu'], at: '06:00' } });

    expect(description.spec.calendars?.map((calendar) => calendar.dayOfWeek)).toEqual([[{ start: 'MONDAY', end: 'MONDAY', step: 1 }, { start: 'THURSDAY', end: 'THURSDAY', step: 1 }]]);
    const upcoming = description.info.nextActionTimes.map((time) => wallClock(time, 'Europe/Paris'));
    expect(new Set(upcoming.map((clock) => `${clock.weekday} ${clock.time}`))).toEqual(new Set(['Mon 06:00', 'Thu 06:00']));
  });

  it('runs monthly schedules on the chosen day of the month', async () => {
    const { description } = await scheduleJob({ enabled: true, timezone: 'UTC', frequency: 'monthly', monthly: { day: 1, at: '02:00' } });

    const upcoming = description.info.nextActionTimes.map((time) => wallClock(time, 'UTC'));
    expect(upcoming.length).toBeGreaterThan(0);
    for (const clock of upcoming) expect(clock).toMatchObject({ day: 1, time: '02:00' });
  });

  it('starts the scheduled job workflow on the job’s task queue, tagged with the job, its name and connection, and summarised for the Temporal UI', async () => {
    const { jobId, description } = await scheduleJob({ enabled: true, timezone: 'UTC', frequency: 'hourly' });

    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'scheduledJobWorkflow',
      workflowId: workflowIds.jobScheduledTrigger(jobId),
      taskQueue: temporal.taskQueue,
      args: [jobId],
      memo: { jobName: 'Company Sync' },
      staticSummary: 'Company Sync · scheduled run',
    });
    expect(attributesByName(description.action.typedSearchAttributes)).toEqual({
      [searchAttributeKeys.jobId.name]: jobId,
      [searchAttributeKeys.connectionId.name]: 'conn-1',
      [searchAttributeKeys.trigger.name]: 'schedule',
      [searchAttributeKeys.jobName.name]: 'Company Sync',
    });
    expect(description.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 60 * 60 * 1000 });
  });

  it('pauses a disabled schedule and unpauses it when enabled again', async () => {
    const enabled = daily('10:00', '14:00', 1);
    const { jobId, handle } = await scheduleJob({ ...enabled, enabled: false });
    expect((await handle.describe()).state).toMatchObject({ paused: true, note: 'disabled in Syncline' });

    await scheduleJob(enabled, jobId);
    expect((await handle.describe()).state.paused).toBe(false);

    await scheduleJob({ ...enabled, enabled: false }, jobId);
    expect((await handle.describe()).state.paused).toBe(true);
  });

  it('replaces the times of an existing schedule when it changes', async () => {
    const { jobId } = await scheduleJob(daily('10:00', '14:00', 1));
    const { description } = await scheduleJob({ enabled: true, timezone: 'Europe/Paris', frequency: 'daily', daily: { mode: 'once', at: '09:30' } }, jobId);

    expect(description.spec.timezone).toBe('Europe/Paris');
    expect(wallClockTimes(description.spec.calendars ?? [])).toEqual(['09:30']);
    const upcoming = await describeNextRuns(temporal, workflowIds.jobSchedule(jobId), 3);
    expect(upcoming.map((time) => wallClock(time, 'Europe/Paris').time)).toEqual(['09:30', '09:30', '09:30']);
  });

  it('deletes a job’s schedule, and deleting it again is fine', async () => {
    const { jobId, handle } = await scheduleJob(daily('10:00', '14:00', 1));

    await deleteJobSchedule(temporal, jobId);
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect.poll(() => listedScheduleIds(), { timeout: 15_000 }).not.toContain(workflowIds.jobSchedule(jobId));
    await expect(deleteJobSchedule(temporal, jobId)).resolves.toBeUndefined();
  });

  it('schedules a chain to start the scheduled chain workflow, and deletes it', async () => {
    const chainId = `test-${randomUUID()}`;
    chainIds.push(chainId);
    await upsertChainSchedule(temporal, { id: chainId, name: 'Nightly' }, { enabled: true, timezone: 'UTC', frequency: 'daily', daily: { mode: 'once', at: '01:00' } });
    const handle = temporal.client.schedule.getHandle(workflowIds.chainSchedule(chainId));

    const description = await handle.describe();
    expect(description.action).toMatchObject({
      workflowType: 'scheduledChainWorkflow',
      workflowId: workflowIds.chainScheduledTrigger(chainId),
      taskQueue: temporal.taskQueue,
      args: [chainId, 'schedule'],
      memo: { chainName: 'Nightly' },
    });
    expect(attributesByName(description.action.typedSearchAttributes)).toEqual({
      [searchAttributeKeys.chainId.name]: chainId,
      [searchAttributeKeys.trigger.name]: 'schedule',
    });

    await deleteChainSchedule(temporal, chainId);
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(deleteChainSchedule(temporal, chainId)).resolves.toBeUndefined();
  });

  async function listedScheduleIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const summary of temporal.client.schedule.list()) ids.push(summary.scheduleId);
    return ids;
  }
});
