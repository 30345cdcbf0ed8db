// What makes Syncline's workflows readable in the Temporal UI (summaries on child workflows and
// activities, the job's name and a run's outcome as search attributes, memos that follow a rename)
// changes the commands workflows send. Histories from before it replay without any of it: `readable()`
// is false there (tests/histories/before-readable-temporal-ui).
import { patched } from '@temporalio/workflow';

export const READABLE_UI_PATCH = 'readable-temporal-ui';

export const readable = (): boolean => patched(READABLE_UI_PATCH);

type Activity = (...args: never[]) => Promise<unknown>;
type WithOptions<F extends Activity> = F & { executeWithOptions(options: { summary?: string }, args: Parameters<F>): ReturnType<F> };

/** Calls an activity with a one-line summary the UI shows beside it (on histories made since the change). */
export function summarized<F extends Activity>(activity: F, summary: string, ...args: Parameters<F>): ReturnType<F> {
  return readable() ? (activity as WithOptions<F>).executeWithOptions({ summary }, args) : (activity(...args) as ReturnType<F>);
}
