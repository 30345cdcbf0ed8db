// Telling people a run ended. Delivery problems are recorded, retried by Temporal a few times, and
// never change the run's outcome.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { jobs, notificationDeliveries, runs } from '../db/schema.js';
import { publicUrl } from '../config.js';
import type { Delivery, RunNotice } from '../services/notifier.js';
import { maskWebhookUrl, newSigningKey, openWebhook, sealWebhook } from '../services/webhooks.js';
import type { RunStatus } from '../sync/types.js';
import type { ActivityDeps } from './deps.js';

export function createNotifyActivities(deps: ActivityDeps) {
  const { db } = deps.database;
  return {
    async notifyRun({ runId }: { runId: string }): Promise<{ sent: number; failed: number }> {
      const [run] = await db.select().from(runs).where(eq(runs.id, runId));
      if (!run) return { sent: 0, failed: 0 };
      const [job] = await db.select().from(jobs).where(eq(jobs.id, run.jobId));
      if (!job) return { sent: 0, failed: 0 };
      const good = run.status === 'success' || run.status === 'partial_success';
      const recipients = good ? job.notifications.onSuccess : job.notifications.onFailure;
      const alreadySent = new Set(
        (await db.select().from(notificationDeliveries).where(eq(notificationDeliveries.runId, runId)))
          .filter((d) => d.status === 'sent')
          .map((d) => `${d.channel}:${d.recipient}`),
      );
      const notice: RunNotice = {
        runId,
        jobId: job.id,
        jobName: job.name,
        status: run.status as RunStatus,
        counts: { fetched: run.fetched, filtered: run.filtered, inserted: run.inserted, updated: run.updated, unchanged: run.unchanged, failed: run.failed },
        window: { from: run.windowFrom?.toISOString() ?? null, to: run.windowTo?.toISOString() ?? null },
        error: run.error ?? null,
        waited: run.waited ?? null,
        link: `${publicUrl()}/v1/runs/${encodeURIComponent(runId)}`,
        consoleLink: `${publicUrl()}/console/runs/${encodeURIComponent(runId)}`,
      };
      const deliveries: Delivery[] = [];
      const emails = recipients.filter((r) => !alreadySent.has(`email:${r}`));
      deliveries.push(...(await deps.notifier.email(notice, emails)));
      const webhook = openWebhook(deps.secrets, job);
      const shownAs = webhook && maskWebhookUrl(webhook.url)!;
      if (webhook && shownAs && !alreadySent.has(`webhook:${shownAs}`)) {
        let signingKey = webhook.signingKey;
        if (!signingKey) {
          // Stored before webhooks were sealed: sealed now, with a key an admin can ask for.
          signingKey = newSigningKey();
          await db.update(jobs).set({ webhook: sealWebhook(deps.secrets, { url: webhook.url, signingKey }), notifications: { ...job.notifications, webhookUrl: shownAs } }).where(eq(jobs.id, job.id));
        }
        deliveries.push(await deps.notifier.webhook(notice, { url: webhook.url, signingKey }, shownAs));
      }
      if (deliveries.length > 0) {
        const attempt = Context.current().info.attempt;
        await db.insert(notificationDeliveries).values(
          deliveries.map((d) => ({ runId, channel: d.channel, recipient: d.recipient, status: d.ok ? ('sent' as const) : ('failed' as const), attempts: attempt, error: d.error })),
        );
      }
      const failed = deliveries.filter((d) => !d.ok && d.retryable);
      if (failed.length > 0) {
        // Thrown so Temporal retries the undelivered ones; the workflow gives up after a few tries.
        throw ApplicationFailure.retryable(`could not deliver ${failed.length} notification(s): ${failed.map((f) => `${f.recipient} (${f.error})`).join('; ')}`, 'NOTIFICATION_UNDELIVERED');
      }
      return { sent: deliveries.filter((d) => d.ok).length, failed: deliveries.filter((d) => !d.ok).length };
    },
  };
}
