// A job's or chain's schedule as a Temporal Schedule: checking what the API was given, turning it
// into calendar specs, and keeping the Temporal Schedule in step with Syncline's copy.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type CalendarSpec,
  type Client,
  type DayOfWeek,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { invalidConfiguration } from '../sync/errors.js';
import { WEEKDAYS, type Schedule, type Weekday } from '../sync/types.js';
import type { scheduledChainWorkflow, scheduledJobWorkflow } from '../workflows/scheduled.js';
import type { TemporalContext } from './context.js';
import { searchAttributeKeys, workflowIds } from './names.js';
import { scheduledChainSummary, scheduledJobSummary } from '../workflows/summaries.js';

export interface ScheduleProblem {
  /** JSON pointer into the schedule body, e.g. `/daily/from`; `''` for the body itself. */
  path: string;
  message: string;
}

const FREQUENCIES: readonly Schedule['frequency'][] = ['hourly', 'daily', 'weekly', 'monthly'];
const DEFAULT_TIMEZONE = 'UTC';
const DEFAULT_EVERY_HOURS = 1;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DISABLED_NOTE = 'disabled in Syncline';

/** Every problem with a schedule body, each naming the field and how to fix it; empty when valid. */
export function validateSchedule(schedule: unknown): ScheduleProblem[] {
  if (!isRecord(schedule)) {
    return [problem('', `the schedule must be an object such as { "frequency": "daily", "daily": { "mode": "once", "at": "09:30" } }, got ${show(schedule)}`)];
  }
  return [
    ...checkEnabled(schedule.enabled),
    ...checkTimezone(schedule.timezone),
    ...checkFrequency(schedule),
    ...optional(schedule.everyHours, (value) => checkEveryHours(value, '/everyHours')),
    ...optional(schedule.daily, checkDaily),
    ...optional(schedule.weekly, checkWeekly),
    ...optional(schedule.monthly, checkMonthly),
  ];
}

function checkEnabled(enabled: unknown): ScheduleProblem[] {
  if (enabled === undefined || typeof enabled === 'boolean') return [];
  return [problem('/enabled', `must be true or false, got ${show(enabled)}`)];
}

function checkTimezone(timezone: unknown): ScheduleProblem[] {
  if (timezone === undefined) return [];
  if (typeof timezone !== 'string') return [problem('/timezone', `must be an IANA time zone such as "UTC" or "Europe/Paris", got ${show(timezone)}`)];
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat(undefined, { timeZone: timezone }).resolvedOptions().timeZone;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return [problem('/timezone', `must be an IANA time zone such as "UTC" or "Europe/Paris", got ${show(timezone)} (${error.message})`)];
  }
  if (resolved !== timezone && isMiscapitalised(timezone, resolved)) {
    return [problem('/timezone', `must be written ${show(resolved)} (time-zone names are case-sensitive), got ${show(timezone)}`)];
  }
  return [];
}

/**
 * Intl ignores case but Temporal's server looks zone names up exactly ("utc" fails there). Every
 * part of an IANA name starts with a capital letter; anything else is a miscapitalised name, for
 * which the zone Intl resolved is the same zone correctly spelt. Other differences from the
 * resolved name are aliases (Asia/Kolkata resolves to Asia/Calcutta on Node 20) and are fine.
 */
function isMiscapitalised(timezone: string, resolved: string): boolean {
  return resolved.toLowerCase() === timezone.toLowerCase() || timezone.split('/').some((part) => !/^[A-Z]/.test(part));
}

function checkFrequency(schedule: Record<string, unknown>): ScheduleProblem[] {
  const { frequency } = schedule;
  if (!isFrequency(frequency)) return [problem('/frequency', `must be one of ${FREQUENCIES.join(', ')}, got ${show(frequency)}`)];
  if (frequency === 'hourly' || schedule[frequency] !== undefined) return [];
  return [problem(`/${frequency}`, `is required when frequency is "${frequency}", e.g. ${SECTION_EXAMPLES[frequency]}`)];
}

const isFrequency = (value: unknown): value is Schedule['frequency'] => FREQUENCIES.includes(value as Schedule['frequency']);

const SECTION_EXAMPLES = {
  daily: '{ "mode": "once", "at": "09:30" } or { "mode": "repeat", "from": "10:00", "to": "14:00", "everyHours": 1 }',
  weekly: '{ "days": ["mon", "thu"], "at": "06:00" }',
  monthly: '{ "day": 1, "at": "02:00" }',
} as const;

function checkDaily(daily: unknown): ScheduleProblem[] {
  if (!isRecord(daily)) return [problem('/daily', `must be an object: ${SECTION_EXAMPLES.daily}, got ${show(daily)}`)];
  if (daily.mode === 'once') return checkTime(daily.at, '/daily/at');
  if (daily.mode !== 'repeat') return [problem('/daily/mode', `must be "once" (one run a day) or "repeat" (runs between from and to), got ${show(daily.mode)}`)];
  const window = [...checkTime(daily.from, '/daily/from'), ...checkTime(daily.to, '/daily/to')];
  return [
    ...window,
    ...optional(daily.everyHours, (value) => checkEveryHours(value, '/daily/everyHours')),
    ...(window.length === 0 ? checkWindowOrder(String(daily.from), String(daily.to)) : []),
  ];
}

function checkWindowOrder(from: string, to: string): ScheduleProblem[] {
  // HH:MM strings compare in time order.
  if (from <= to) return [];
  return [problem('/daily/to', `must be at or after daily.from (a window cannot cross midnight), got from "${from}" and to "${to}"`)];
}

function checkWeekly(weekly: unknown): ScheduleProblem[] {
  if (!isRecord(weekly)) return [problem('/weekly', `must be an object: ${SECTION_EXAMPLES.weekly}, got ${show(weekly)}`)];
  return [...checkWeekdays(weekly.days), ...checkTime(weekly.at, '/weekly/at')];
}

function checkWeekdays(days: unknown): ScheduleProblem[] {
  const allowed = WEEKDAYS.join(', ');
  if (!Array.isArray(days)) return [problem('/weekly/days', `must be a list of weekdays such as ["mon", "thu"] (from ${allowed}), got ${show(days)}`)];
  if (days.length === 0) return [problem('/weekly/days', `must list at least one weekday (from ${allowed})`)];
  return days.flatMap((day: unknown, i) => {
    if (!WEEKDAYS.includes(day as Weekday)) return [problem(`/weekly/days/${i}`, `must be one of ${allowed}, got ${show(day)}`)];
    if (days.indexOf(day) < i) return [problem(`/weekly/days/${i}`, `repeats ${show(day)}; list each day once`)];
    return [];
  });
}

function checkMonthly(monthly: unknown): ScheduleProblem[] {
  if (!isRecord(monthly)) return [problem('/monthly', `must be an object: ${SECTION_EXAMPLES.monthly}, got ${show(monthly)}`)];
  const day = isWholeNumberIn(monthly.day, 1, 31) ? [] : [problem('/monthly/day', `must be a whole number from 1 to 31, got ${show(monthly.day)}`)];
  return [...day, ...checkTime(monthly.at, '/monthly/at')];
}

function checkTime(value: unknown, path: string): ScheduleProblem[] {
  if (typeof value === 'string' && TIME.test(value)) return [];
  return [problem(path, `must be a time HH:MM between 00:00 and 23:59, got ${show(value)}`)];
}

function checkEveryHours(value: unknown, path: string): ScheduleProblem[] {
  if (isWholeNumberIn(value, 1, 23)) return [];
  return [problem(path, `must be a whole number of hours from 1 to 23, got ${show(value)}`)];
}

function optional(value: unknown, check: (value: unknown) => ScheduleProblem[]): ScheduleProblem[] {
  return value === undefined ? [] : check(value);
}

/** The message starts with the field as a person would write it: `/weekly/days/1` → `weekly.days[1]`. */
function problem(path: string, text: string): ScheduleProblem {
  const field = path
    .split('/')
    .slice(1)
    .map((segment, i) => (/^\d+$/.test(segment) ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
  return { path, message: field === '' ? text : `${field} ${text}` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWholeNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/**
 * The Temporal spec for a schedule. Everything is a calendar, never an interval: calendars are
 * aligned to the wall clock in the schedule's time zone (every 6 hours means 00:00, 06:00, 12:00
 * and 18:00 there, across daylight-saving changes), while intervals count from the Unix epoch in
 * UTC. Throws INVALID_CONFIGURATION when `validateSchedule` finds problems.
 */
export function scheduleSpecFor(schedule: Schedule): ScheduleSpec {
  const problems = validateSchedule(schedule);
  if (problems.length > 0) throw invalidConfiguration(`Invalid schedule: ${problems.map((p) => p.message).join('; ')}.`);
  return { calendars: calendarsFor(schedule), timezone: schedule.timezone ?? DEFAULT_TIMEZONE };
}

function calendarsFor(schedule: Schedule): CalendarSpec[] {
  switch (schedule.frequency) {
    case 'hourly':
      return [hourlyCalendar(schedule.everyHours ?? DEFAULT_EVERY_HOURS)];
    case 'daily':
      return dailyCalendars(section(schedule.daily, 'daily'));
    case 'weekly':
      return [weeklyCalendar(section(schedule.weekly, 'weekly'))];
    case 'monthly':
      return [monthlyCalendar(section(schedule.monthly, 'monthly'))];
  }
}

/** Validation has already required the section; this narrows the type. */
function section<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw invalidConfiguration(`The schedule has no ${name} section.`);
  return value;
}

function hourlyCalendar(everyHours: number): CalendarSpec {
  // Counted from midnight each day, so an every-5-hours schedule runs at 20:00 and again at 00:00.
  return { hour: { start: 0, end: 23, step: everyHours }, minute: 0, comment: `every ${everyHours} h` };
}

function dailyCalendars(daily: NonNullable<Schedule['daily']>): CalendarSpec[] {
  if (daily.mode === 'once') {
    const at = parseTime(daily.at);
    return [{ hour: at.hour, minute: at.minute, comment: `daily at ${daily.at}` }];
  }
  return repeatCalendars(daily.from, daily.to, daily.everyHours ?? DEFAULT_EVERY_HOURS);
}

/**
 * from, from + N h, … up to `to`, at from's minute; both ends are included, so when `to` is not
 * on that step (10:00 to 13:00 every 2 h) it gets a calendar of its own (10:00, 12:00 and 13:00).
 */
function repeatCalendars(from: string, to: string, everyHours: number): CalendarSpec[] {
  const start = parseTime(from);
  const end = parseTime(to);
  const steps = Math.floor((minutesOf(end) - minutesOf(start)) / (everyHours * 60));
  const lastHour = start.hour + steps * everyHours;
  const calendars: CalendarSpec[] = [
    { hour: { start: start.hour, end: lastHour, step: everyHours }, minute: start.minute, comment: `daily ${from} to ${to} every ${everyHours} h` },
  ];
  if (lastHour !== end.hour || start.minute !== end.minute) {
    calendars.push({ hour: end.hour, minute: end.minute, comment: `daily ${from} to ${to}: the end of the window` });
  }
  return calendars;
}

const TEMPORAL_DAYS: Record<Weekday, DayOfWeek> = {
  sun: 'SUNDAY',
  mon: 'MONDAY',
  tue: 'TUESDAY',
  wed: 'WEDNESDAY',
  thu: 'THURSDAY',
  fri: 'FRIDAY',
  sat: 'SATURDAY',
};

function weeklyCalendar(weekly: NonNullable<Schedule['weekly']>): CalendarSpec {
  const at = parseTime(weekly.at);
  return { dayOfWeek: weekly.days.map((day) => TEMPORAL_DAYS[day]), hour: at.hour, minute: at.minute, comment: `weekly on ${weekly.days.join(', ')} at ${weekly.at}` };
}

function monthlyCalendar(monthly: NonNullable<Schedule['monthly']>): CalendarSpec {
  // Temporal matches the day literally: day 31 skips the months that have no 31st.
  const at = parseTime(monthly.at);
  return { dayOfMonth: monthly.day, hour: at.hour, minute: at.minute, comment: `monthly on day ${monthly.day} at ${monthly.at}` };
}

function parseTime(time: string): { hour: number; minute: number } {
  const match = TIME.exec(time);
  if (!match?.[1] || !match[2]) throw invalidConfiguration(`"${time}" is not a time HH:MM between 00:00 and 23:59.`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

const minutesOf = (time: { hour: number; minute: number }) => time.hour * 60 + time.minute;

const POLICIES: ScheduleOptions['policies'] = {
  // The scheduled workflows only hand the firing to the job's or chain's own workflow, which
  // queues runs itself, so they are short; buffering one means a firing is never dropped.
  overlap: ScheduleOverlapPolicy.BUFFER_ONE,
  // After an outage, a firing up to an hour late still runs; older ones are not replayed.
  catchupWindow: '1 hour',
};

/** Creates or replaces the Temporal Schedule of a job; a disabled schedule is paused. */
export async function upsertJobSchedule(temporal: TemporalContext, job: { id: string; name: string; connectionId: string }, schedule: Schedule): Promise<void> {
  const action: ScheduleOptionsStartWorkflowAction<typeof scheduledJobWorkflow> = {
    type: 'startWorkflow',
    workflowType: 'scheduledJobWorkflow',
    args: [job.id],
    workflowId: workflowIds.jobScheduledTrigger(job.id),
    taskQueue: temporal.taskQueue,
    typedSearchAttributes: [
      { key: searchAttributeKeys.jobId, value: job.id },
      { key: searchAttributeKeys.connectionId, value: job.connectionId },
      { key: searchAttributeKeys.trigger, value: 'schedule' },
      { key: searchAttributeKeys.jobName, value: job.name },
    ],
    memo: { jobName: job.name },
    staticSummary: scheduledJobSummary(job.name),
    staticDetails: `Job ${job.id}: asks the job's workflow (job:${job.id}) for a run and waits for it to end; SynclineOutcome says how it went.`,
  };
  await upsertSchedule(temporal.client, workflowIds.jobSchedule(job.id), schedule, action);
}

/** Creates or replaces the Temporal Schedule of a job chain; a disabled schedule is paused. */
export async function upsertChainSchedule(temporal: TemporalContext, chain: { id: string; name: string }, schedule: Schedule): Promise<void> {
  const action: ScheduleOptionsStartWorkflowAction<typeof scheduledChainWorkflow> = {
    type: 'startWorkflow',
    workflowType: 'scheduledChainWorkflow',
    args: [chain.id, 'schedule'],
    workflowId: workflowIds.chainScheduledTrigger(chain.id),
    taskQueue: temporal.taskQueue,
    typedSearchAttributes: [
      { key: searchAttributeKeys.chainId, value: chain.id },
      { key: searchAttributeKeys.trigger, value: 'schedule' },
    ],
    memo: { chainName: chain.name },
    staticSummary: scheduledChainSummary(chain.name),
  };
  await upsertSchedule(temporal.client, workflowIds.chainSchedule(chain.id), schedule, action);
}

async function upsertSchedule<W extends Workflow>(client: Client, scheduleId: string, schedule: Schedule, action: ScheduleOptionsStartWorkflowAction<W>): Promise<void> {
  const spec = scheduleSpecFor(schedule);
  // An update replaces the state too, so this pauses or unpauses an existing schedule as well.
  const state = schedule.enabled ? { paused: false } : { paused: true, note: DISABLED_NOTE };
  try {
    await client.schedule.create<W>({ scheduleId, spec, action, policies: POLICIES, state });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update<W>(() => ({ spec, action, policies: POLICIES, state }));
  }
}

export async function deleteJobSchedule(temporal: TemporalContext, jobId: string): Promise<void> {
  await deleteSchedule(temporal.client, workflowIds.jobSchedule(jobId));
}

export async function deleteChainSchedule(temporal: TemporalContext, chainId: string): Promise<void> {
  await deleteSchedule(temporal.client, workflowIds.chainSchedule(chainId));
}

async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
  } catch (error) {
    // Already gone is what deleting asks for, so a retried or repeated delete succeeds.
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
}

/** The next `count` times the schedule fires (the server computes at most 10), paused or not. */
export async function describeNextRuns(temporal: TemporalContext, scheduleId: string, count: number): Promise<Date[]> {
  const description = await temporal.client.schedule.getHandle(scheduleId).describe();
  return description.info.nextActionTimes.slice(0, count);
}
