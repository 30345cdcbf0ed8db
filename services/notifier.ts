// Run notifications: email over SMTP to the job's recipients, and an optional signed webhook.
import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { RunCounts, RunStatus } from '../sync/types.js';
import { STATUS_WORDS } from './runs.js';

export interface RunNotice {
  runId: string;
  jobId: string;
  jobName: string;
  status: RunStatus;
  counts: RunCounts;
  window: { from: string | null; to: string | null };
  error: { code: string; message: string } | null;
  link: string;
}

export interface Delivery {
  channel: 'email' | 'webhook';
  recipient: string;
  ok: boolean;
  error: string | null;
  /** False when trying again cannot help (nothing configured to send with). */
  retryable: boolean;
}

export interface Notifier {
  email(notice: RunNotice, recipients: string[]): Promise<Delivery[]>;
  webhook(notice: RunNotice, url: string): Promise<Delivery>;
}

export interface NotifierOptions {
  smtpUrl: string | null;
  from: string;
  /** Signs webhook bodies (X-Syncline-Signature: sha256=<hex>). */
  webhookSecret: string;
}

export function describeNotice(notice: RunNotice): { subject: string; text: string } {
  const c = notice.counts;
  const subject = `[Syncline] ${notice.jobName}: ${STATUS_WORDS[notice.status]}`;
  const text = [
    `Job: ${notice.jobName}`,
    `Status: ${STATUS_WORDS[notice.status]}`,
    `Window: ${notice.window.from ?? '-'} to ${notice.window.to ?? '-'}`,
    `Fetched ${c.fetched}, filtered ${c.filtered}, inserted ${c.inserted}, updated ${c.updated}, unchanged ${c.unchanged}, failed ${c.failed}`,
    ...(notice.error ? [`Error: ${notice.error.message}`] : []),
    `Run: ${notice.link}`,
  ].join('\n');
  return { subject, text };
}

export function createNotifier(options: NotifierOptions): Notifier {
  let transport: Transporter | null = null;
  const transporter = () => (transport ??= nodemailer.createTransport(options.smtpUrl!));
  return {
    async email(notice, recipients) {
      if (recipients.length === 0) return [];
      if (!options.smtpUrl) {
        return recipients.map((recipient) => ({ channel: 'email' as const, recipient, ok: false, error: 'SMTP_URL is not set, so no email can be sent', retryable: false }));
      }
      const { subject, text } = describeNotice(notice);
      try {
        await transporter().sendMail({ from: options.from, to: recipients, subject, text });
        return recipients.map((recipient) => ({ channel: 'email' as const, recipient, ok: true, error: null, retryable: false }));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return recipients.map((recipient) => ({ channel: 'email' as const, recipient, ok: false, error: message, retryable: true }));
      }
    },
    async webhook(notice, url) {
      const body = JSON.stringify({ event: 'run.finished', run: notice });
      const signature = createHmac('sha256', options.webhookSecret).update(body).digest('hex');
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-syncline-signature': `sha256=${signature}` },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        return { channel: 'webhook', recipient: url, ok: response.ok, error: response.ok ? null : `answered ${response.status}`, retryable: !response.ok };
      } catch (error) {
        return { channel: 'webhook', recipient: url, ok: false, error: error instanceof Error ? error.message : String(error), retryable: true };
      }
    },
  };
}
