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
import { jobs, runs } from '../../db/schema.js';
import { queueClientRun } from '../../services/job-lifecycle.js';
import { checkedWindow } from '../windows.js';
import { ERRORS_PAGE_SIZE, runErrorsCsv, runErrorsPage } from '../../services/run-errors.js';
import { toRunDocument } from '../../services/runs.js';
import { workflowIds } from '../../temporal/names.js';
import { liveWaiting } from '../../temporal/run-waiting.js';
import type { TriggerRequest } from '../../workflows/types.js';
import { ApiError, badRequest, notFound } from '../errors.js';
import { decodeTimeCursor, encodeTimeCursor } from '../paging.js';
import { jobNames, jobsOverview, connectionsOverview, runsPage, type RunView } from './queries.js';
import { Sessions, sentFromConsole, type Session } from './session.js';
import { tokenMatcher } from '../plugins/auth.js';
import { ConnectionsPage } from './views/connections.js';
import { ErrorPage } from './views/error.js';
import { JobPage, JobsPage } from './views/jobs.js';
import { LoginPage } from './views/login.js';
import { FailuresPage, RunPage, RunPanel, RunsPage, runHref, type RunPageData, type RunsFilterValues } from './views/runs.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A console route anyone may reach: the sign-in page and the assets. */
    consolePublic?: boolean;
  }
}

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
      if (current.role !== 'admin') throw new ApiError(403, 'forbidden', `"${current.name}" signed in with a viewer token, which can look but not act; sign in with an admin token to start runs.`);
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    const current = (request as FastifyRequest & { session?: Session }).session ?? null;
    if (error instanceof ApiError) return html(reply, <ErrorPage session={current} status={error.statusCode} message={error.message} />, error.statusCode);
    if (error.validation) return html(reply, <ErrorPage session={current} status={400} message={`The request was not understood: ${error.message}`} />, 400);
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

  const jobPage = async (request: FastifyRequest, reply: FastifyReply, jobId: string, problem?: string, status = 200) => {
    const [job] = await jobsOverview(db, temporal, { jobId });
    if (!job) throw notFound('Job', jobId);
    const recent = await runsPage(db, { jobId }, null, 20);
    return html(reply, <JobPage session={session(request)} job={job} runs={recent.items} problem={problem} />, status);
  };

  const IdParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, ...MAX_TEXT } }, required: ['id'] } as const;

  app.get('/jobs/:id', { schema: { hide: true, params: IdParams } }, async (request, reply) => jobPage(request, reply, (request.params as { id: string }).id));

  /** Starts a run for the signed-in admin and opens its page; a job that cannot run says why on its page. */
  const startRun = async (request: FastifyRequest, reply: FastifyReply, jobId: string, trigger: () => TriggerRequest) => {
    const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    if (!job) throw notFound('Job', jobId);
    let result;
    try {
      result = await queueClientRun(services, session(request).name, job, trigger());
    } catch (error) {
      if (error instanceof ApiError && error.statusCode < 500) return jobPage(request, reply, jobId, error.message, error.statusCode);
      throw error;
    }
    return reply.redirect(runHref(result.runId), 303);
  };

  app.post('/jobs/:id/import-now', { schema: { hide: true, params: IdParams } }, async (request, reply) =>
    startRun(request, reply, (request.params as { id: string }).id, () => ({ trigger: 'import_now' })),
  );

  app.post(
    '/jobs/:id/import-from-date',
    { schema: { hide: true, params: IdParams, body: { type: 'object', properties: { from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 } }, required: ['from'] } } },
    async (request, reply) => {
      const body = request.body as { from: string; to?: string };
      return startRun(request, reply, (request.params as { id: string }).id, () => ({
        trigger: 'import_from_date',
        window: checkedWindow({ from: datetimeLocal(body.from, 'from')!, to: datetimeLocal(body.to, 'to') }),
      }));
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

  app.get('/runs/:id/failures.csv', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
    const runId = (request.params as { id: string }).id;
    const [run] = await db.select({ id: runs.id }).from(runs).where(eq(runs.id, runId));
    if (!run) throw notFound('Run', runId);
    reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${run.id.replace(/[^A-Za-z0-9_-]/g, '_')}-errors.csv"`);
    return reply.send(runErrorsCsv(sql, run.id, (error) => request.log.warn({ err: error }, 'errors download stopped')));
  });
}
