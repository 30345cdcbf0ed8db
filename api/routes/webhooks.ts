// A job's webhook signing key: made new and shown once, to an admin (a write, so viewers get 403).
// Receivers keep it and verify each delivery's X-Syncline-Signature with it (README, Notifications).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { eq } from 'drizzle-orm';
import { jobs } from '../../db/schema.js';
import { recordAudit } from '../../services/audit.js';
import { MASK } from '../../services/secrets.js';
import { rotateSigningKey } from '../../services/webhooks.js';
import { notFound } from '../errors.js';
import { IdParams, errorResponses } from '../schemas/common.js';

const SigningKey = Type.Object({
  jobId: Type.String(),
  signingKey: Type.String({ description: 'HMAC-SHA256 key of X-Syncline-Signature; shown only in this answer' }),
});

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { database, secrets } = app.services;
  const { db } = database;

  app.post(
    '/jobs/:id/webhook-signing-key',
    {
      schema: {
        summary: "Make a new signing key for the job's webhook and show it, once",
        description: 'The previous key stops signing at once. 409 when the job has no webhookUrl.',
        params: IdParams,
        response: { 200: SigningKey, ...errorResponses },
      },
    },
    async (request) => {
      const [job] = await db.select().from(jobs).where(eq(jobs.id, request.params.id));
      if (!job) throw notFound('Job', request.params.id);
      const { sealed, signingKey } = rotateSigningKey(secrets, job);
      await db.update(jobs).set({ webhook: sealed, updatedAt: new Date() }).where(eq(jobs.id, job.id));
      await recordAudit(
        db,
        request.actor.name,
        { type: 'job', id: job.id, name: job.name, connectionId: job.connectionId, jobId: job.id },
        null,
        null,
        'webhook signing key replaced',
        [{ attribute: 'notifications', subAttribute: 'webhookSigningKey', action: 'Edit', oldValue: MASK, newValue: MASK }],
      );
      return { jobId: job.id, signingKey };
    },
  );
};
