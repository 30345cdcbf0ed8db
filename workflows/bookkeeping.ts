// The run's bookkeeping (its row, the job's state, asking another job for a run) is a few
// milliseconds of database work. As an ordinary activity each step costs a round trip through the
// Temporal server and a new workflow task, about 60-90 ms here, and a run without new data is
// almost nothing but such steps. As local activities they run inside the workflow task that asks
// for them, are retried as before, and show in the history as markers named after the activity.
//
// Histories from before this change hold them as ordinary activities; `patched` keeps those
// replaying (and workflows started then running) exactly as they were recorded.
import { patched, proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

export const LOCAL_BOOKKEEPING_PATCH = 'bookkeeping-as-local-activities';

/** Answers the bookkeeping activities to call now: local, unless this history predates them. */
export function bookkeepingActivities(options: { startToCloseTimeout: ActivityOptions['startToCloseTimeout']; retry: ActivityOptions['retry'] }): () => Activities {
  const remote = proxyActivities<Activities>(options);
  const local = proxyLocalActivities<Activities>(options satisfies LocalActivityOptions);
  return () => (patched(LOCAL_BOOKKEEPING_PATCH) ? local : remote);
}
