// A job's schedule through the API: one Temporal Schedule per scheduled job, kept in step.
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, type JobDoc } from './support/px-flow.js';

interface ApiError {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}

const REPEAT = { enabled: true, timezone: 'Europe/Paris', frequency: 'daily', daily: { mode: 'repeat', from: '10:00', to: '14:00', everyHours: 2 } };

/** The wall-clock time of an instant in a time zone, as HH:MM. */
const wallClock = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);

describe('Job schedules are Temporal Schedules', () => {
  let stack: Stack;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let connectionId: string;

  const scheduleOf = (job: JobDoc) => stack.temporal.client.schedule.getHandle(`job:${job.id}:schedule`);
  const put = (job: JobDoc, schedule: unknown) => api<JobDoc & ApiError>(stack, 'PUT', `/v1/jobs/${job.id}/schedule`, schedule);

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 10, users: 20, seed: 2 } });
    ({ connectionId, companySync, companyPersonSync } = await connectPx(stack));
  });
  afterAll(async () => stack?.stop());

  it('refuses to schedule a job without an upsert key (422, naming the job)', async () => {
    const refused = await put(companySync, REPEAT);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain(companySync.name);
    expect(refused.body.error.message).toContain('upsert key');
    await expect(scheduleOf(companySync).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('refuses an impossible time (400, naming the field)', async () => {
    companySync = await chooseAccountIdKey(stack, companySync);
    const refused = await put(companySync, { ...REPEAT, daily: { mode: 'once', at: '25:99' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d) => d.path)).toEqual(['/daily/at']);
    expect(refused.body.error.message).toContain('daily.at');
  });

  it('creates the Temporal Schedule with the daily-repeat calendar in its time zone', async () => {
    const scheduled = await put(companySync, REPEAT);
    expect(scheduled.status, scheduled.text).toBe(200);
    expect(scheduled.body.schedule).toEqual(REPEAT);

    const described = await scheduleOf(companySync).describe();
    expect(described.spec.timezone).toBe('Europe/Paris');
    expect(described.state.paused).toBe(false);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledJobWorkflow', args: [companySync.id] });
    const times = new Set(described.info.nextActionTimes.map((t) => wallClock(t, 'Europe/Paris')));
    expect(times).toEqual(new Set(['10:00', '12:00', '14:00']));
  });

  it('pauses the schedule while it is disabled', async () => {
    expect((await put(companySync, { ...REPEAT, enabled: false })).status).toBe(200);
    expect((await scheduleOf(companySync).describe()).state.paused).toBe(true);
    expect((await put(companySync, REPEAT)).status).toBe(200);
    expect((await scheduleOf(companySync).describe()).state.paused).toBe(false);
  });

  it('keeps a scheduled job from losing its upsert key (422)', async () => {
    const refused = await api<ApiError>(stack, 'PATCH', `/v1/jobs/${companySync.id}`, { mappings: companySync.mappings.map((m) => ({ ...m, upsertKey: false })) });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('upsert key');
  });

  it('DELETE removes the schedule', async () => {
    const deleted = await api(stack, 'DELETE', `/v1/jobs/${companySync.id}/schedule`);
    expect(deleted.status).toBe(204);
    await expect(scheduleOf(companySync).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await api<JobDoc>(stack, 'GET', `/v1/jobs/${companySync.id}`)).body.schedule).toBeNull();
  });

  it('deleting a job deletes its schedule: an out-of-the-box job goes only with its connection', async () => {
    const scheduled = await put(companyPersonSync, { enabled: true, timezone: 'UTC', frequency: 'hourly', everyHours: 6 });
    expect(scheduled.status, scheduled.text).toBe(200);
    await scheduleOf(companyPersonSync).describe();
    expect((await api(stack, 'DELETE', `/v1/jobs/${companyPersonSync.id}`)).status).toBe(409);
    await scheduleOf(companyPersonSync).describe();
    expect((await api(stack, 'DELETE', `/v1/connections/${connectionId}`)).status).toBe(204);
    await expect(scheduleOf(companyPersonSync).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});
