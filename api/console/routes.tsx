// The Syncline console: pages for people, rendered on the server (Preact to a string, so every value
// is escaped) with htmx to follow a run live. Same tokens as the API: a viewer sees, an admin can
// also start runs. It signs people in with a session cookie of its own (session.ts) and accepts a
// form only from its own pages.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { eq } from 'drizzle-orm';
import { jobs, runs, type JobRow } from '../../db/schema.js';
import { queueClientRun } from '../../services/job-lifecycle.js';
import { jobRetry, openFailureReasons, openFailuresPage, runRetry } from '../../services/open-failures.js';
import { previewJob } from '../../services/previews.js';
import type { JobDraft } from '../../activities/preview.js';
import { JobDraft as JobDraftSchema } from '../schemas/jobs.js';
import { bodyChecker } from '../plugins/validation.js';
import { checkedWindow } from '../windows.js';
import { ERRORS_PAGE_SIZE, runErrorsCsv, runErrorsPage } from '../../services/run-errors.js';
import { toRunDocument } from '../../services/runs.js';
import { workflowIds } from '../../temporal/names.js';
import { liveWaiting } from '../../temporal/run-waiting.js';
import type { TriggerRequest } from '../../workflows/types.js';
import { ApiError, badRequest, notFound, type ErrorDetail } from '../errors.js';
import { decodeTimeCursor, encodeTimeCursor } from '../paging.js';
import { jobNames, jobsOverview, connectionsOverview, runsPage, type RunView } from './queries.js';
import { Sessions, sentFromConsole, type Session } from './session.js';
import { tokenMatcher } from '../plugins/auth.js';
import { ConnectionsPage } from './views/connections.js';
import { ErrorPage } from './views/error.js';
import { JobPage, JobsPage, type JobFailures } from './views/jobs.js';
import { PREVIEW_DEFAULT_LIMIT, PreviewPage } from './views/preview.js';
import { LoginPage } from './views/login.js';
import { FailuresPage, RunPage, RunPanel, RunsPage, runHref, type RunPageData, type RunsFilterValues } from './views/runs.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A console route anyone may reach: the sign-in page and the assets. */
    consolePublic?: boolean;
    /** A console form a viewer may send too: it changes nothing (a preview of the saved job). */
    consoleViewerMayPost?: boolean;
  }
}

/** How many of a job's open failures its page lists; the API pages through all of them. */
const FAILURES_ON_JOB_PAGE = 20;
/** A draft typed into the preview form: a job's mappings and filters as JSON, well under this. */
const MAX_DRAFT_CHARS = 200_000;

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'htmx.min.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('htmx.org/dist/htmx.min.js')) },
  'pico.min.css': { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('@picocss/pico/css/pico.min.css')) },
  'console.css': { type: 'text/css; charset=utf-8', body: readFileSync(fileURLToPath(new URL('./assets/console.css', import.meta.url))) },
};

/** Pages run no script but the console's own, load nothing from elsewhere and cannot be framed. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Same-origin requests keep their Referer (the fallback of the form check); others get none.
  'referrer-policy': 'same-origin',
};

const MAX_TEXT = { maxLength: 200 } as const;

const datetimeLocal = (value: string | undefined, field: string): string | undefined => {
  if (!value) return undefined;
  // <input type="datetime-local"> sends 2024-05-01T10:00 (or with seconds); the console means UTC.
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value) ? `${value}Z` : value;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) throw badRequest(`${field} is not a date and time; pick one such as 2024-05-01T10:00 (UTC)`, [{ path: field, message: 'must be a date-time' }]);
  return new Date(time).toISOString();
};

/** A form the browser says came from elsewhere (or says nothing about): refused, naming what it was. */
const crossSite = (what: string) => new ApiError(403, 'cross_site_request', `This ${what} was not sent from a page of this console, so it was refused. Open the console and use its buttons.`);

/** A path inside the console to go back to after signing in; anything else goes to the jobs. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/console\/[A-Za-z0-9/_\-.?=&%]*$/.test(next) && !next.includes('//') ? next : '/console/jobs');

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const services = app.services;
  const { db, sql } = services.database;
  const { temporal } = services;
  const matchToken = tokenMatcher(services.tokens);
  const sessions = new Sessions(services.tokens, services.secrets.derive('console-session'), new URL(services.publicUrl).protocol === 'https:');
  await app.register(cookie, { secret: services.secrets.derive('console-cookie'), hook: 'onRequest' });
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  const session = (request: FastifyRequest): Session => (request as FastifyRequest & { session: Session }).session;
  const html = (reply: FastifyReply, page: VNode, status = 200) =>
    reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(`<!doctype html>${renderToString(page)}`);

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.consolePublic) return;
    const current = sessions.read(request);
    if (!current) {
      const login = `/console/login?next=${encodeURIComponent(request.url)}`;
      // htmx follows HX-Redirect with a full page load; anything else is sent to the sign-in page.
      if (request.headers['hx-request']) return reply.status(401).header('hx-redirect', login).send();
      if (request.method !== 'GET') return html(reply, <LoginPage problem="Your session ended: sign in again, then repeat what you did." />, 401);
      return reply.redirect(login, 303);
    }
    (request as FastifyRequest & { session: Session }).session = current;
    request.actor = { name: current.name, role: current.role, email: current.email };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (!sentFromConsole(request, services.publicUrl)) throw crossSite('form');
      if (current.role !== 'admin' && !request.routeOptions.config.consoleViewerMayPost) throw new ApiError(403, 'forbidden', `"${current.name}" signed in with a viewer token, which can look but not act; sign in with an admin token to start runs.`);
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    const current = (request as FastifyRequest & { session?: Session }).session ?? null;
    if (error instanceof ApiError) return html(reply, <ErrorPage session={current} status={error.statusCode} message={error.message} />, error.statusCode);
    if (error.validation) return html(reply, <ErrorPage session={current} status={400} message={`The request was not understood: ${error.message}`} />, 400);
    // Fastify's own refusals (a body over the limit, a type it does not take, malformed JSON) say
    // what the request did wrong; they are the client's, not ours.
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = status === 413 ? `The form was larger than the console takes (a draft is at most ${MAX_DRAFT_CHARS.toLocaleString('en')} characters); make it smaller.` : `The request was not accepted: ${error.message}`;
      return html(reply, <ErrorPage session={current} status={status} message={message} />, status);
    }
    request.log.error({ err: error }, 'console page failed');
    return html(reply, <ErrorPage session={current} status={500} message="Something went wrong on our side; nothing was changed. Try again, and tell us if it keeps happening." />, 500);
  });

  // ------------------------------------------------------------------ signing in and out

  app.get('/assets/:name', { config: { consolePublic: true }, schema: { hide: true, params: { type: 'object', properties: { name: { type: 'string', ...MAX_TEXT } }, required: ['name'] } } }, async (request, reply) => {
    const asset = ASSETS[(request.params as { name: string }).name];
    if (!asset || !Object.hasOwn(ASSETS, (request.params as { name: string }).name)) throw notFound('Asset', (request.params as { name: string }).name);
    return reply.header('cache-control', 'public, max-age=3600').type(asset.type).send(asset.body);
  });

  app.get('/login', { config: { consolePublic: true }, schema: { hide: true, querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 500 } } } } }, async (request, reply) => {
    const { next } = request.query as { next?: string };
    if (sessions.read(request)) return reply.redirect(safeNext(next), 303);
    return html(reply, <LoginPage next={next ? safeNext(next) : undefined} />);
  });

  app.post(
    '/login',
    {
      config: { consolePublic: true },
      schema: { hide: true, body: { type: 'object', properties: { token: { type: 'string', maxLength: 500 }, next: { type: 'string', maxLength: 500 } }, required: ['token'] } },
    },
    async (request, reply) => {
      // A page elsewhere must not sign a person in under someone else's token either.
      if (!sentFromConsole(request, services.publicUrl)) throw crossSite('sign-in');
      const { token, next } = request.body as { token: string; next?: string };
      const found = matchToken(token.trim());
      if (!found) return html(reply, <LoginPage problem="That is not a valid API token." next={next} />, 401);
      sessions.start(reply, found);
      request.log.info({ actor: found.name }, 'console sign-in');
      return reply.redirect(safeNext(next), 303);
    },
  );

  app.post('/logout', { config: { consolePublic: true }, schema: { hide: true } }, async (request, reply) => {
    if (!sentFromConsole(request, services.publicUrl)) throw crossSite('sign-out');
    sessions.end(reply);
    return reply.redirect('/console/login', 303);
  });

  // ------------------------------------------------------------------ pages

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/jobs', 303));

  app.get('/connections', { schema: { hide: true } }, async (request, reply) => html(reply, <ConnectionsPage session={session(request)} connections={await connectionsOverview(db)} />));

  app.get('/jobs', { schema: { hide: true, querystring: { type: 'object', properties: { connection: { type: 'string', ...MAX_TEXT } } } } }, async (request, reply) => {
    const { connection } = request.query as { connection?: string };
    const overview = await jobsOverview(db, temporal, { connectionId: connection });
    return html(reply, <JobsPage session={session(request)} jobs={overview} connectionName={connection ? overview[0]?.connectionName : undefined} />);
  });

  const jobOverview = async (jobId: string) => {
    const [job] = await jobsOverview(db, temporal, { jobId });
    if (!job) throw notFound('Job', jobId);
    return job;
  };

  const jobFailures = async (jobId: string): Promise<JobFailures> => {
    const [reasons, latest] = await Promise.all([openFailureReasons(db, jobId), openFailuresPage(db, jobId, null, FAILURES_ON_JOB_PAGE)]);
    return { total: reasons.reduce((sum, r) => sum + r.count, 0), reasons, latest: latest.items };
  };

  const jobPage = async (request: FastifyRequest, reply: FastifyReply, jobId: string, problem?: { title: string; message: string }, status = 200) => {
    const job = await jobOverview(jobId);
    const [recent, failures] = await Promise.all([runsPage(db, { jobId }, null, 20), jobFailures(jobId)]);
    return html(reply, <JobPage session={session(request)} job={job} runs={recent.items} failures={failures} problem={problem} />, status);
  };

  const IdParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, ...MAX_TEXT } }, required: ['id'] } as const;

  app.get('/jobs/:id', { schema: { hide: true, params: IdParams } }, async (request, reply) => jobPage(request, reply, (request.params as { id: string }).id));

  /** Starts a run for the signed-in admin and opens its page; a run that cannot start says why on its job's page. */
  const startRun = async (request: FastifyRequest, reply: FastifyReply, jobId: string, asked: () => Promise<{ job: JobRow; trigger: TriggerRequest }>) => {
    let result;
    try {
      const { job, trigger } = await asked();
      result = await queueClientRun(services, session(request).name, job, trigger);
    } catch (error) {
      if (error instanceof ApiError && error.statusCode < 500 && error.statusCode !== 404) return jobPage(request, reply, jobId, { title: 'Not started', message: error.message }, error.statusCode);
      throw error;
    }
    return reply.redirect(runHref(result.runId), 303);
  };

  const savedJob = async (jobId: string): Promise<JobRow> => {
    const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    if (!job) throw notFound('Job', jobId);
    return job;
  };

  app.post('/jobs/:id/import-now', { schema: { hide: true, params: IdParams } }, async (request, reply) =>
    startRun(request, reply, (request.params as { id: string }).id, async () => ({ job: await savedJob((request.params as { id: string }).id), trigger: { trigger: 'import_now' } })),
  );

  app.post(
    '/jobs/:id/import-from-date',
    { schema: { hide: true, params: IdParams, body: { type: 'object', properties: { from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 } }, required: ['from'] } } },
    async (request, reply) => {
      const body = request.body as { from: string; to?: string };
      const jobId = (request.params as { id: string }).id;
      return startRun(request, reply, jobId, async () => ({
        job: await savedJob(jobId),
        trigger: { trigger: 'import_from_date', window: checkedWindow({ from: datetimeLocal(body.from, 'from')!, to: datetimeLocal(body.to, 'to') }) },
      }));
    },
  );

  app.post('/jobs/:id/retry-failed', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const jobId = (request.params as { id: string }).id;
    return startRun(request, reply, jobId, () => jobRetry(db, jobId));
  });

  const checkDraft = bodyChecker<JobDraft>(JobDraftSchema, 'draft');

  /** The draft typed into the form, parsed and checked as the API checks a preview's draft; empty: none. */
  const parsedDraft = (text: string | undefined): JobDraft | undefined => {
    if (!text?.trim()) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw badRequest(`The draft is not JSON (${(error as Error).message}); write it as PATCH /v1/jobs/:id takes it, e.g. {"mappings": [...]}`, [{ path: 'draft', message: 'must be JSON' }]);
    }
    return checkDraft(value);
  };

  app.post(
    '/jobs/:id/preview',
    {
      // A preview of the saved job writes nothing, so a viewer may ask for one; a draft needs an admin.
      config: { consoleViewerMayPost: true },
      bodyLimit: MAX_DRAFT_CHARS * 4,
      schema: {
        hide: true,
        params: IdParams,
        body: {
          type: 'object',
          properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$' }, from: { type: 'string', maxLength: 40 }, draft: { type: 'string', maxLength: MAX_DRAFT_CHARS } },
        },
      },
    },
    async (request, reply) => {
      const jobId = (request.params as { id: string }).id;
      const body = request.body as { limit?: string; from?: string; draft?: string };
      const viewer = session(request).role !== 'admin';
      if (viewer && body.draft !== undefined) throw new ApiError(403, 'forbidden', `"${session(request).name}" signed in with a viewer token, which may preview the saved job but not a draft; sign in with an admin token to try a draft.`);
      const job = await jobOverview(jobId);
      const limit = body.limit ? Number(body.limit) : PREVIEW_DEFAULT_LIMIT;
      const problem = (message: string, status: number) => jobPage(request, reply, jobId, { title: 'Preview failed', message }, status);
      if (limit < 1 || limit > 1000) return problem('A preview reads 1 to 1,000 records; pick a number in that range.', 400);
      let answer;
      try {
        const from = datetimeLocal(body.from, 'from');
        answer = await previewJob(services, job.job, { draft: parsedDraft(body.draft), limit, window: from ? checkedWindow({ from }) : null });
      } catch (error) {
        if (!(error instanceof ApiError) || error.statusCode === 404 || error.statusCode === 403) throw error;
        const details = error.details.map((d: ErrorDetail) => `${d.path}: ${d.message}`).join('; ');
        // A draft that does not pass comes back to its form, as typed, with what to fix.
        if (body.draft !== undefined && error.statusCode < 500) {
          const [recent, failures] = await Promise.all([runsPage(db, { jobId }, null, 20), jobFailures(jobId)]);
          return html(
            reply,
            <JobPage session={session(request)} job={job} runs={recent.items} failures={failures} problem={{ title: 'The draft does not pass', message: details && !error.message.includes(details) ? `${error.message} (${details})` : error.message }} asked={body} />,
            error.statusCode,
          );
        }
        return problem(error.message, error.statusCode);
      }
      return html(reply, <PreviewPage session={session(request)} job={job} preview={answer} temporalUrl={temporalUiLink(answer.workflowId)} asked={body} />);
    },
  );

  const RunsQuery = {
    type: 'object',
    properties: { job: { type: 'string', ...MAX_TEXT }, status: { type: 'string', maxLength: 40 }, trigger: { type: 'string', maxLength: 40 }, from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 }, after: { type: 'string', maxLength: 500 } },
  } as const;

  app.get('/runs', { schema: { hide: true, querystring: RunsQuery } }, async (request, reply) => {
    const query = request.query as RunsFilterValues & { after?: string };
    const filters = { jobId: query.job || undefined, status: query.status || undefined, trigger: query.trigger || undefined, from: datetimeLocal(query.from, 'from'), to: datetimeLocal(query.to, 'to') };
    const page = await runsPage(db, filters, decodeTimeCursor(query.after || undefined));
    const params = new URLSearchParams(Object.entries({ job: query.job, status: query.status, trigger: query.trigger, from: query.from, to: query.to }).filter((e): e is [string, string] => Boolean(e[1])));
    if (page.next) params.set('after', encodeTimeCursor(page.next));
    return html(reply, <RunsPage session={session(request)} runs={page.items} filters={query} jobs={await jobNames(db)} nextHref={page.next ? `/console/runs?${params.toString()}` : null} />);
  });

  const runData = async (request: FastifyRequest, runId: string): Promise<RunPageData> => {
    const [row] = await db.select({ run: runs, jobName: jobs.name }).from(runs).leftJoin(jobs, eq(jobs.id, runs.jobId)).where(eq(runs.id, runId));
    if (!row) throw notFound('Run', runId);
    const live = await liveWaiting(temporal, row.run).catch((error: unknown) => {
      request.log.warn({ err: error }, 'Temporal could not say whether the run waits on retries; showing what its attempts recorded');
      return undefined;
    });
    const run: RunView = { ...toRunDocument(row.run, live), jobName: row.jobName };
    return { run, temporalUrl: temporalUiLink(row.run.workflowId), jobWorkflowUrl: temporalUiLink(workflowIds.job(row.run.jobId)), canAct: session(request).role === 'admin' };
  };

  const temporalUiLink = (workflowId: string) =>
    services.temporalUiUrl ? `${services.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(temporal.client.options.namespace)}/workflows/${encodeURIComponent(workflowId)}` : null;

  app.get('/runs/:id', { schema: { hide: true, params: IdParams } }, async (request, reply) => html(reply, <RunPage session={session(request)} data={await runData(request, (request.params as { id: string }).id)} />));

  app.get('/runs/:id/panel', { schema: { hide: true, params: IdParams } }, async (request, reply) => html(reply, <RunPanel data={await runData(request, (request.params as { id: string }).id)} />));

  app.get(
    '/runs/:id/failures',
    { schema: { hide: true, params: IdParams, querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } } } },
    async (request, reply) => {
      const { run } = await runData(request, (request.params as { id: string }).id);
      const page = await runErrorsPage(db, run.id, (request.query as { after?: number }).after ?? null, ERRORS_PAGE_SIZE);
      return html(reply, <FailuresPage session={session(request)} run={run} failures={page.items} nextHref={page.next !== null ? `${runHref(run.id)}/failures?after=${page.next}` : null} />);
    },
  );

  app.post('/runs/:id/retry-failed', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const runId = (request.params as { id: string }).id;
    let result;
    try {
      const { job, trigger } = await runRetry(db, runId);
      result = await queueClientRun(services, session(request).name, job, trigger);
    } catch (error) {
      // The run's page says why (still running, nothing failed, the queue is full).
      if (error instanceof ApiError && error.statusCode < 500 && error.statusCode !== 404) {
        return html(reply, <RunPage session={session(request)} data={await runData(request, runId)} problem={error.message} />, error.statusCode);
      }
      throw error;
    }
    return reply.redirect(runHref(result.runId), 303);
  });

  app.get('/runs/:id/failures.csv', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const runId = (request.params as { id: string }).id;
    const [run] = await db.select({ id: runs.id }).from(runs).where(eq(runs.id, runId));
    if (!run) throw notFound('Run', runId);
    reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${run.id.replace(/[^A-Za-z0-9_-]/g, '_')}-errors.csv"`);
    return reply.send(runErrorsCsv(sql, run.id, (error) => request.log.warn({ err: error }, 'errors download stopped')));
  });
}
