// What the Temporal UI shows of Syncline's workflows besides their ids: a one-line summary (the job,
// the trigger, the window), details, and the current details a run updates as it goes. Used by
// workflows and by the client code that starts them, so it stays free of Node built-ins. Names are
// configuration, never record data; they are kept to one line.
import type { RunCounts, RunTrigger } from '../sync/types.js';

const TRIGGER_WORDS: Record<string, string> = {
  import_now: 'Import Now',
  import_from_date: 'Import From Date',
  schedule: 'scheduled',
  chain: 'chain member',
  dependency: 'dependency',
  upload: 'file upload',
  retry_failed: 'retry of failed records',
  manual: 'run now',
};

/** A name as one line of bounded length: the UI shows summaries on one line. */
const oneLine = (text: string, max = 120) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export const triggerWords = (trigger: string) => TRIGGER_WORDS[trigger] ?? trigger;

/** `2024-05-01T10:00:00.000Z` → `2024-05-01 10:00:00`: windows in UTC, to the second. */
const at = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');

export function windowWords(window: { from: string; to: string }): string {
  return `${at(window.from)} → ${at(window.to)} UTC`;
}

export function runSummary(run: { jobName: string; n: number; trigger: RunTrigger; window: { from: string; to: string } }): string {
  return `${oneLine(run.jobName)} · run ${run.n} · ${triggerWords(run.trigger)} · ${windowWords(run.window)}`;
}

export function runDetails(run: { jobId: string; runId: string; trigger: RunTrigger; window: { from: string; to: string }; chainId: string | null }): string {
  return [
    `**Run** ${run.runId} of job ${run.jobId}`,
    `**Trigger** ${triggerWords(run.trigger)}${run.chainId ? ` (chain ${run.chainId})` : ''}`,
    `**Window** ${windowWords(run.window)}`,
    'Records never enter this history: the run reads and writes pages in its syncPages activities; counts and failed records are in Syncline (GET /v1/runs/' + run.runId + ').',
  ].join('\n\n');
}

export function runProgress(progress: { pages: number; counts?: RunCounts | undefined; status?: string }): string {
  const c = progress.counts;
  const counts = c ? ` · fetched ${c.fetched}, filtered ${c.filtered}, inserted ${c.inserted}, updated ${c.updated}, unchanged ${c.unchanged}, failed ${c.failed}` : '';
  return `${progress.status ?? 'running'} · ${progress.pages} page${progress.pages === 1 ? '' : 's'}${counts}`;
}

export function pagesSummary(run: { jobName: string; n: number }, fromPage: number): string {
  return `pages from ${fromPage + 1} of ${oneLine(run.jobName, 80)} (run ${run.n})`;
}

export function jobWorkflowSummary(jobName: string): string {
  return `${oneLine(jobName)} · the job's queue of runs and its watermark`;
}

export function jobWorkflowDetails(jobId: string): string {
  return `Job ${jobId}. Every run of the job starts here, one at a time, as a child workflow job:${jobId}:run:<n>; triggers that arrive meanwhile wait in this workflow's queue.`;
}

export function previewSummary(preview: { jobName: string; n: number; limit: number; draft: boolean }): string {
  return `${oneLine(preview.jobName)} · preview ${preview.n} of up to ${preview.limit} records${preview.draft ? ' (a draft)' : ''}; writes nothing`;
}

export function scheduledJobSummary(jobName: string): string {
  return `${oneLine(jobName)} · scheduled run`;
}

export function chainRunSummary(chain: { chainName: string; n?: number; trigger: string }): string {
  return `chain ${oneLine(chain.chainName)}${chain.n !== undefined ? ` · run ${chain.n}` : ''} · ${triggerWords(chain.trigger)}`;
}

export function scheduledChainSummary(chainName: string): string {
  return `chain ${oneLine(chainName)} · scheduled run`;
}
