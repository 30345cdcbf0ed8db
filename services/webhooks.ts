// A job's webhook is a secret: its URL often carries a token (Slack's do), and its signing key lets
// a receiver trust what it gets. Both are stored sealed like credentials (jobs.webhook); the job
// document, the audit log and delivery records show only the URL's scheme and host. Each job has a
// signing key of its own, made when its URL is set and shown once, to an admin who asks for it.
import { randomBytes } from 'node:crypto';
import { ApiError, badRequest } from '../api/errors.js';
import { MASK, type SecretBox } from './secrets.js';
import type { Destination, Outbound } from './outbound.js';

/** Any public host; private addresses only where the operator allows them (OUTBOUND_ALLOWED_NETWORKS). */
export const WEBHOOK_DESTINATION: Destination = { name: 'webhook', hosts: 'any' };

export interface Webhook {
  url: string;
  signingKey: string;
}

/** What the job's row holds of its webhook. */
export interface StoredWebhook {
  notifications: { webhookUrl: string | null };
  webhook: string | null;
}

/** `https://hooks.example.com/********`: enough to recognise a receiver, nothing of its path or token. */
export function maskWebhookUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const { protocol, host } = new URL(url);
    return `${protocol}//${host}/${MASK}`;
  } catch {
    return MASK;
  }
}

export const newSigningKey = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

export const sealWebhook = (box: SecretBox, webhook: Webhook): string => box.seal({ url: webhook.url, signingKey: webhook.signingKey });

/**
 * The job's webhook. A row written before webhooks were sealed holds the URL in clear and no key:
 * then the key is null, and the caller seals it with a new one.
 */
export function openWebhook(box: SecretBox, row: StoredWebhook): { url: string; signingKey: string | null } | null {
  if (row.webhook) {
    const { url, signingKey } = box.open(row.webhook);
    if (url && signingKey) return { url, signingKey };
  }
  const legacy = row.notifications.webhookUrl;
  return legacy && maskWebhookUrl(legacy) !== legacy ? { url: legacy, signingKey: null } : null;
}

export interface WebhookChange {
  /** The masked URL the job document shows. */
  display: string | null;
  /** The sealed URL and key to store. */
  sealed: string | null;
  /** True when a URL replaced another (a new key was made), which a masked diff may not show. */
  replaced: boolean;
}

/**
 * What to store for the webhookUrl a client sent: null removes it, the masked URL the document
 * shows keeps the current one, anything else is a new URL, checked against the outbound policy
 * (400 naming the field) and given a new signing key.
 */
export async function webhookChange(box: SecretBox, outbound: Outbound, before: StoredWebhook | null, sent: string | null): Promise<WebhookChange> {
  const current = before ? maskWebhookUrl(before.notifications.webhookUrl) : null;
  if (sent === null) return { display: null, sealed: null, replaced: false };
  if (before && sent === current) {
    const kept = openWebhook(box, before);
    if (!kept) return { display: null, sealed: null, replaced: false };
    const sealed = kept.signingKey ? before.webhook : sealWebhook(box, { url: kept.url, signingKey: newSigningKey() });
    return { display: current, sealed, replaced: false };
  }
  const problem = await outbound.problem(sent, WEBHOOK_DESTINATION);
  if (problem) throw badRequest(`/notifications/webhookUrl: ${problem}`, [{ path: '/notifications/webhookUrl', message: problem }]);
  return { display: maskWebhookUrl(sent), sealed: sealWebhook(box, { url: sent, signingKey: newSigningKey() }), replaced: current !== null };
}

/** A new signing key for the job's webhook (the old one stops working): 409 when it has none. */
export function rotateSigningKey(box: SecretBox, row: StoredWebhook & { name: string }): { sealed: string; signingKey: string } {
  const current = openWebhook(box, row);
  if (!current) throw new ApiError(409, 'no_webhook', `Job "${row.name}" has no webhook: set notifications.webhookUrl first, then ask for its signing key.`);
  const signingKey = newSigningKey();
  return { sealed: sealWebhook(box, { url: current.url, signingKey }), signingKey };
}
