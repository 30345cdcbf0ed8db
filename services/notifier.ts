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
  /**
   * SECRET_KEY. Webhook bodies are signed with a key derived from it (webhookSigningKey), so a
   * webhook receiver never holds the key that decrypts stored credentials.
   */
  webhookSecret: string;
}

/** The key receivers verify `X-Syncline-Signature: sha256=<hex>` with: hex HMAC-SHA256(SECRET_KEY, "webhook"). */
export function webhookSigningKey(secretKey: string): string {
  return createHmac('sha256', secretKey).update('webhook').digest('hex');
}

/** The signature of a webhook body: hex HMAC-SHA256 keyed with the signing key. */
export function signWebhookBody(signingKey: string, body: string): string {
  return `sha256=${createHmac('sha256', signingKey).update(body).digest('hex')}`;
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
  const signingKey = webhookSigningKey(options.webhookSecret);
  let transport: Transporter | null = null;
  // Timeouts inside the notify activity's minute, so a mail server that hangs fails an attempt
  // rather than outliving it; settings in SMTP_URL's query (e.g. ?ignoreTLS=true) win.
  const transporter = () => (transport ??= nodemailer.createTransport({ url: options.smtpUrl!, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 }));
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
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-syncline-signature': signWebhookBody(signingKey, body) },
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
