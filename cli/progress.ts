// How a followed run looks: a redrawn progress line on a terminal, plain lines anywhere else.

export interface RunView {
  id: string;
  jobId: string;
  status: string;
  trigger: string;
  window: { from: string | null; to: string | null };
  counts: { fetched: number; filtered: number; inserted: number; updated: number; unchanged: number; failed: number };
  progress: { recordsProcessed: number; pages: number };
  error: { code: string; message: string } | null;
  workflowId: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const FINAL = ['success', 'partial_success', 'failure', 'cancelled'];
export const SUCCEEDED = ['success', 'partial_success'];

const WIDTH = 24;
const number = (n: number) => n.toLocaleString('en-US');

/**
 * The terminal line for a run at animation frame `frame`. The total is unknown until the source is
 * read to its end, so the bar shows activity, and the numbers show how far it got.
 */
export function progressLine(run: RunView, frame: number): string {
  const done = FINAL.includes(run.status);
  const block = 6;
  const start = frame % (WIDTH + block);
  const bar = done
    ? '='.repeat(WIDTH)
    : Array.from({ length: WIDTH }, (_, i) => (i >= start - block && i < start ? '=' : run.status === 'queued' ? '.' : ' ')).join('');
  return `[${bar}] ${run.status.padEnd(15)} ${number(run.progress.recordsProcessed)} records, ${number(run.progress.pages)} pages`;
}

/** The line printed when not on a terminal, once per change. */
export function plainLine(run: RunView): string {
  return `${new Date().toISOString()} ${run.id} ${run.status}: ${number(run.progress.recordsProcessed)} records, ${number(run.progress.pages)} pages`;
}

export function countsLine(run: RunView): string {
  const c = run.counts;
  return `fetched ${number(c.fetched)}, filtered ${number(c.filtered)}, inserted ${number(c.inserted)}, updated ${number(c.updated)}, unchanged ${number(c.unchanged)}, failed ${number(c.failed)}`;
}

export function describeRun(run: RunView, baseUrl: string): string[] {
  const lines = [
    `Run ${run.id} (job ${run.jobId}, ${run.trigger}): ${run.status}`,
    `  window:   ${run.window.from ?? '-'} to ${run.window.to ?? '-'}`,
    `  counts:   ${countsLine(run)}`,
    `  workflow: ${run.workflowId}`,
  ];
  if (run.startedAt) lines.push(`  started:  ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`);
  if (run.error) lines.push(`  error:    ${run.error.message} (${run.error.code})`);
  if (run.counts.failed > 0) lines.push(`  failed records: ${baseUrl}/v1/runs/${encodeURIComponent(run.id)}/errors`);
  return lines;
}
