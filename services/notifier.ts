// Run notifications: email over SMTP to the job's recipients, and an optional signed webhook.
import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { RunCounts, RunStatus, RunWaited } from '../sync/types.js';
import { STATUS_WORDS } from './runs.js';
import { CouldNotConnect, OutboundRefused, type Outbound } from './outbound.js';
import { WEBHOOK_DESTINATION, type Webhook } from './webhooks.js';
import { waitedSentence } from './run-waits.js';

export interface RunNotice {
  runId: string;
  jobId: string;
  jobName: string;
  status: RunStatus;
  counts: RunCounts;
  window: { from: string | null; to: string | null };
  error: { code: string; message: string } | null;
  /** What the run waited on outages before it ended; null when it never waited. */
  waited: RunWaited | null;
  link: string;
  /** The run's page in the console, for people. */
  consoleLink: string;
}

export interface Delivery {
  channel: 'email' | 'webhook';
  /** An email address, or a webhook's masked URL. */
  recipient: string;
  ok: boolean;
  error: string | null;
  /** False when trying again cannot help (nothing configured to send with). */
  retryable: boolean;
}

export interface Notifier {
  email(notice: RunNotice, recipients: string[]): Promise<Delivery[]>;
  /** Posts the notice to the job's webhook; `shownAs` is its masked URL, the only form recorded. */
  webhook(notice: RunNotice, webhook: Webhook, shownAs: string): Promise<Delivery>;
}

export interface NotifierOptions {
  smtpUrl: string | null;
  from: string;
  /** Webhooks go out under the outbound policy: no private addresses, no redirects. */
  outbound: Outbound;
}

/**
 * `X-Syncline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the
 * job's signing key. The time is signed with the body, so a receiver that refuses old times (the
 * README's recipe: five minutes) cannot be fed a recorded delivery again later.
 */
export function signWebhookBody(signingKey: string, body: string, at: Date = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', signingKey).update(`${t}.${body}`).digest('hex')}`;
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
    ...(notice.waited ? [`${waitedSentence(notice.waited)}.`] : []),
    `Run: ${notice.consoleLink}`,
    `API: ${notice.link}`,
  ].join('\n');
  return { subject, text };
}

export function createNotifier(options: NotifierOptions): Notifier {
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
    async webhook(notice, webhook, shownAs) {
      const body = JSON.stringify({ event: 'run.finished', run: notice });
      const delivery = (ok: boolean, error: string | null, retryable: boolean): Delivery => ({ channel: 'webhook', recipient: shownAs, ok, error, retryable });
      try {
        const response = await options.outbound.fetch(
          webhook.url,
          { method: 'POST', headers: { 'content-type': 'application/json', 'x-syncline-signature': signWebhookBody(webhook.signingKey, body) }, body, signal: AbortSignal.timeout(10_000) },
          WEBHOOK_DESTINATION,
        );
        await response.body?.cancel().catch(() => undefined);
        if (response.status >= 300 && response.status < 400) return delivery(false, `answered ${response.status}, a redirect, which is not followed`, false);
        return delivery(response.ok, response.ok ? null : `answered ${response.status}`, !response.ok);
      } catch (error) {
        // Neither message holds more of the URL than its host, which the masked URL shows anyway.
        if (error instanceof OutboundRefused) return delivery(false, error.message, false);
        if (error instanceof CouldNotConnect) return delivery(false, error.message, true);
        throw error;
      }
    },
  };
}
