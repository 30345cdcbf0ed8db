// Small pieces every console page shows the same way: times, statuses, counts, durations.
import type { ComponentChildren } from 'preact';
import { durationWords } from '../../../services/run-waits.js';

/** A time as UTC to the second, in a <time> a browser can read; '-' for none. */
export function When({ at, now = Date.now() }: { at: string | Date | null | undefined; now?: number }) {
  if (!at) return <span class="muted">-</span>;
  const date = typeof at === 'string' ? new Date(at) : at;
  const seconds = (now - date.getTime()) / 1000;
  const relative = Math.abs(seconds) < 5 ? 'just now' : seconds > 0 ? `${durationWords(seconds)} ago` : `in ${durationWords(-seconds)}`;
  return (
    <time datetime={date.toISOString()} title={relative}>
      {utc(date)}
    </time>
  );
}

export const utc = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

const STATUS_WORDS: Record<string, string> = {
  queued: 'Queued',
  running: 'Running',
  retrying: 'Retrying',
  success: 'Success',
  partial_success: 'Partial success',
  failure: 'Failure',
  cancelled: 'Cancelled',
  idle: 'Idle',
  never: 'Never ran',
};

export function Status({ status }: { status: string }) {
  return <span class={`status status-${status.replace(/[^a-z_]/g, '')}`}>{STATUS_WORDS[status] ?? status}</span>;
}

export const TRIGGER_WORDS: Record<string, string> = {
  import_now: 'Import Now',
  import_from_date: 'Import From Date',
  schedule: 'Schedule',
  chain: 'Chain',
  dependency: 'Dependency',
  upload: 'Upload',
  retry_failed: 'Retry of failed records',
};

export const number = (n: number) => n.toLocaleString('en-US');

export function Duration({ from, to, now = Date.now() }: { from: string | Date | null; to: string | Date | null; now?: number }) {
  if (!from) return <span class="muted">-</span>;
  const end = to ? new Date(to).getTime() : now;
  return <>{durationWords((end - new Date(from).getTime()) / 1000)}</>;
}

export function Notice({ kind, title, children }: { kind: 'error' | 'warning' | 'info' | 'success'; title: string; children?: ComponentChildren }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <strong>{title}</strong>
      {children}
    </div>
  );
}
