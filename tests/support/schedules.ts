// Firing a Temporal Schedule now, as its calendar would, and reading what the started workflow did.
import { eventually, type Stack } from './stack.js';

/** Triggers the schedule; answers the workflow this firing started (schedules add a timestamp to its id). */
export async function triggerSchedule(stack: Stack, scheduleId: string): Promise<{ workflowId: string; firstExecutionRunId: string }> {
  const handle = stack.temporal.client.schedule.getHandle(scheduleId);
  const before = (await handle.describe()).info.numActionsTaken;
  await handle.trigger();
  const action = await eventually(`schedule ${scheduleId} to fire`, async () => {
    const { info } = await handle.describe();
    return info.numActionsTaken > before ? info.recentActions.at(-1) : null;
  });
  return action.action.workflow;
}

/** Triggers the schedule and returns the result of the workflow this firing started. */
export async function fireSchedule<T = unknown>(stack: Stack, scheduleId: string): Promise<T> {
  const started = await triggerSchedule(stack, scheduleId);
  return stack.temporal.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result() as Promise<T>;
}
