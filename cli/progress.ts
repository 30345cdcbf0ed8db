// How a followed run looks: a redrawn progress line on a terminal, plain lines anywhere else. A run
// that waits on retries says so, with why and when the next attempt starts, instead of animating.

export interface RunView {
  id: string;
  jobId: string;
  status: string;
  trigger: string;
  actor?: string | null;
  window: { from: string | null; to: string | null };
  counts: { fetched: number; filtered: number; inserted: number; updated: number; unchanged: number; failed: number };
  progress: { recordsProcessed: number; pages: number };
  error: { code: string; message: string } | null;
  waiting?: { reason: string; attempt: number; lastError: { code: string; message: string }; since: string; nextAttemptAt: string | null } | null;
  waited?: { outages: number; seconds: number; failedAttempts: number; lastError: { code: string; message: string } } | null;
  workflowId: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const FINAL = ['success', 'partial_success', 'failure', 'cancelled'];
export const SUCCEEDED = ['success', 'partial_success'];

const WIDTH = 24;
const number = (n: number) => n.toLocaleString('en-US');
const pages = (n: number) => `${number(n)} page${n === 1 ? '' : 's'}`;

/** Seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** How long the run has run (to its end, once it ended) and how fast it read. */
function pace(run: RunView, now: number): string {
  if (!run.startedAt) return '';
  const seconds = ((run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt)) / 1000;
  const rate = seconds >= 1 ? `${number(Math.round(run.progress.recordsProcessed / seconds))} records/s, ` : '';
  return `, ${rate}${clock(seconds)} elapsed`;
}

/** Why a run waits, in one line: the attempt, when the next starts, the last error. */
export function waitingLine(run: RunView, now: number): string {
  const w = run.waiting;
  if (!w) return '';
  const next = w.nextAttemptAt ? `attempt ${w.attempt} in ${clock((Date.parse(w.nextAttemptAt) - now) / 1000)}` : `attempt ${w.attempt} running`;
  return `waiting ${clock((now - Date.parse(w.since)) / 1000)} after ${w.attempt - 1} failed attempt${w.attempt === 2 ? '' : 's'}, ${next}: ${w.lastError.message}`;
}

/**
 * The terminal line for a run at animation frame `frame`. The total is unknown until the source is
 * read to its end, so the bar shows activity, and the numbers show how far it got and how fast.
 */
export function progressLine(run: RunView, frame: number, now: number = Date.now()): string {
  const done = FINAL.includes(run.status);
  const block = 6;
  const start = frame % (WIDTH + block);
  const bar = done
    ? '='.repeat(WIDTH)
    : run.waiting
      ? ' waiting to retry '.padStart(21).padEnd(WIDTH)
      : Array.from({ length: WIDTH }, (_, i) => (i >= start - block && i < start ? '=' : run.status === 'queued' ? '.' : ' ')).join('');
  const line = `[${bar}] ${run.status.padEnd(15)} ${number(run.progress.recordsProcessed)} records, ${pages(run.progress.pages)}${pace(run, now)}`;
  return run.waiting ? `${line}; ${waitingLine(run, now)}` : line;
}

/** The line printed when not on a terminal, once per change. */
export function plainLine(run: RunView, now: number = Date.now()): string {
  const waiting = run.waiting ? `; ${waitingLine(run, now)}` : '';
  return `${new Date(now).toISOString()} ${run.id} ${run.status}: ${number(run.progress.recordsProcessed)} records, ${pages(run.progress.pages)}${pace(run, now)}${waiting}`;
}

export function countsLine(run: RunView): string {
  const c = run.counts;
  return `fetched ${number(c.fetched)}, filtered ${number(c.filtered)}, inserted ${number(c.inserted)}, updated ${number(c.updated)}, unchanged ${number(c.unchanged)}, failed ${number(c.failed)}`;
}

/** "Waited 1:52 on an outage (8 failed attempts); last error: …" */
export function waitedLine(waited: NonNullable<RunView['waited']>): string {
  const outages = waited.outages === 1 ? 'an outage' : `${waited.outages} outages`;
  return `waited ${clock(waited.seconds)} on ${outages} (${waited.failedAttempts} failed attempt${waited.failedAttempts === 1 ? '' : 's'}); last error: ${waited.lastError.message}`;
}

export function describeRun(run: RunView, baseUrl: string, now: number = Date.now()): string[] {
  const lines = [
    `Run ${run.id} (job ${run.jobId}, ${run.trigger}${run.actor ? ` by ${run.actor}` : ''}): ${run.status}`,
    `  window:   ${run.window.from ?? '-'} to ${run.window.to ?? '-'}`,
    `  counts:   ${countsLine(run)}`,
    `  workflow: ${run.workflowId}`,
  ];
  if (run.startedAt) lines.push(`  started:  ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}${pace(run, now)}`);
  if (run.waiting) lines.push(`  retrying: ${waitingLine(run, now)}`);
  if (run.waited) lines.push(`  outages:  ${waitedLine(run.waited)}`);
  if (run.error) lines.push(`  error:    ${run.error.message} (${run.error.code})`);
  if (run.counts.failed > 0) lines.push(`  failed records: ${baseUrl}/v1/runs/${encodeURIComponent(run.id)}/errors (syncline errors ${run.id})`);
  return lines;
}
