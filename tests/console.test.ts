// The console, used as a person would, in a real headless Chromium: sign in with a token, press
// Import Now, watch the run finish, read and download its failed records, filter the runs, Import
// From Date; a viewer can look but not act; hostile names and records stay text; forms from
// elsewhere, forged or stale sessions are refused.
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { ADMIN_TOKEN, VIEWER_TOKEN, api, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { uploadFile } from './support/files.js';
import { openBrowser, type Browser } from './support/browser.js';
import { CONSOLE_ORIGIN, consoleSession } from './support/console.js';
import { consoleRoutes, fill } from './support/routes.js';

/** A name and values as a hostile source (or admin) could send them: each must stay text. */
const HOSTILE_NAME = 'People <img src=x onerror="window.__xss=1"> & "friends"';
const HOSTILE_VALUE = '<script>window.__xss=2</script>';

describe('the Syncline console in a browser', () => {
  let stack: Stack;
  let base: string;
  let browser: Browser;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  let bulkRun: RunDoc;

  const signIn = async (page: Page, token: string) => {
    await page.goto(`${base}/console`);
    await page.waitForURL(/\/console\/login/);
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/console\/jobs$/);
  };
  /** Fails the test if any script the page did not ship ran (an alert, or a marker set by injected markup). */
  const guard = (page: Page) => {
    page.on('dialog', (dialog) => {
      throw new Error(`a dialog opened: ${dialog.message()}`);
    });
    // A Content-Security-Policy refusal, or a script error, shows as a console error.
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
  };
  const browserErrors: string[] = [];
  /** A locator's text once it is there (playwright-core has no waiting assertions of its own). */
  const textOf = async (locator: Locator) => {
    await locator.waitFor();
    return (await locator.textContent()) ?? '';
  };
  const injected = (page: Page) => page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? null);

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 30, users: 60, seed: 3 }, pageSize: 10 });
    base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
    const connected = await connectPx(stack);
    companySync = await chooseAccountIdKey(stack, connected.companySync);
    const renamed = await api<JobDoc>(stack, 'PATCH', `/v1/jobs/${connected.companyPersonSync.id}`, { name: HOSTILE_NAME });
    expect(renamed.status, renamed.text).toBe(200);
    companyPersonSync = renamed.body;

    // A file whose every record fails, carrying markup in the values its reasons quote.
    const files = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Files', config: {} });
    const job = await api<JobDoc>(stack, 'POST', '/v1/jobs', {
      connectionId: files.body.id,
      name: 'Accounts from files',
      source: { object: 'file' },
      target: { object: 'company' },
      mappings: [
        { source: 'Account Id', target: 'px_account_id', upsertKey: true },
        { source: 'Employees', target: 'employees' },
      ],
    });
    const uploaded = await uploadFile(stack, job.body.id, `Account Id,Employees\r\nacc-x1,"${HOSTILE_VALUE}"\r\nacc-x2,"<b>many</b>"\r\n`, { query: { name: 'hostile.csv' } });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(202);
    bulkRun = await waitForRun(stack, uploaded.body.runId);
    expect(bulkRun.counts.failed).toBe(2);

    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs in with a token, starts Import Now, follows the run live to its end and opens its failed records', async () => {
    const page = await browser.context.newPage();
    guard(page);
    await signIn(page, ADMIN_TOKEN);
    expect(await textOf(page.locator(`tr[data-job="${companyPersonSync.id}"] td`).first())).toContain(HOSTILE_NAME);
    expect(await page.locator('main img').count()).toBe(0);

    // Company Person Sync: its dependency runs first, and users without a company fail on their own.
    // Slow pages, so that the run is still going when its page opens.
    stack.px!.faults.latency(400);
    await page.click(`tr[data-job="${companyPersonSync.id}"] button:has-text("Import Now")`);
    await page.waitForURL(/\/console\/runs\/[^/]+$/);
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(runId.startsWith(`${companyPersonSync.id}-`)).toBe(true);
    expect(['Queued', 'Running']).toContain(await textOf(page.locator('#run-panel .status')));
    // The page follows the run (htmx polls its panel) until it ends, without a reload.
    await page.waitForSelector('#run-panel .status-partial_success', { timeout: 60_000 });
    stack.px!.faults.latency(0);
    const run = (await api<RunDoc & { actor: string }>(stack, 'GET', `/v1/runs/${runId}`)).body;
    expect(run.status).toBe('partial_success');
    expect(run.actor).toBe('alice');
    for (const key of ['fetched', 'inserted', 'failed'] as const) {
      expect(await page.textContent(`[data-count="${key}"]`)).toBe(run.counts[key].toLocaleString('en-US'));
    }
    expect(await textOf(page.locator('#run-panel'))).toContain('Import Now, asked by alice');
    expect(await page.getAttribute('a:has-text("in the Temporal UI")', 'href')).toBe(`http://temporal-ui.test/namespaces/default/workflows/${encodeURIComponent(run.workflowId)}`);

    await page.click('text=/Read the \\d+ failed records?/');
    await page.waitForURL(/\/failures$/);
    const csv = (await stack.app.inject({ method: 'GET', url: `/v1/runs/${runId}/errors`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body;
    const reasons = await page.locator('td.reason').allTextContents();
    expect(reasons).toHaveLength(run.counts.failed);
    for (const reason of reasons) expect(csv).toContain(reason.replaceAll('"', '""'));

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Download as CSV")')]);
    expect(await readFile((await download.path())!, 'utf8')).toBe(csv);
    expect(await injected(page)).toBeNull();
    expect(browserErrors, browserErrors.join("\n")).toEqual([]);
  });

  it('keeps names, records and reasons from a source as text', async () => {
    const page = await browser.context.newPage();
    guard(page);
    await page.goto(`${base}/console/runs/${encodeURIComponent(bulkRun.id)}/failures`);
    expect(await textOf(page.locator('td.reason').first())).toContain(HOSTILE_VALUE);
    await page.click('summary:has-text("record")');
    expect(await textOf(page.locator('pre.record').first())).toContain('<script>');
    expect(await page.locator('main script, main img, main b').count()).toBe(0);
    await page.goto(`${base}/console/runs?job=${encodeURIComponent(companyPersonSync.id)}`);
    await page.goto(`${base}/console/jobs/${encodeURIComponent(companyPersonSync.id)}`);
    expect(await textOf(page.locator('h1'))).toBe(HOSTILE_NAME);
    expect(await injected(page)).toBeNull();
  });

  it('filters runs by job, status and trigger, and starts Import From Date from the job page', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/console/runs`);
    await page.selectOption('select[name=job]', companySync.id);
    await page.selectOption('select[name=trigger]', 'dependency');
    await page.click('button:has-text("Filter")');
    await page.waitForURL(/trigger=dependency/);
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await textOf(rows.first())).toContain('Dependency');
    expect(await textOf(rows.first())).toContain(companySync.name);

    await page.goto(`${base}/console/jobs/${encodeURIComponent(companySync.id)}`);
    await page.fill('#action-import-from-date input[name=from]', '2020-01-01T00:00');
    await page.click('#action-import-from-date button[type=submit]');
    await page.waitForURL(/\/console\/runs\/[^/]+$/);
    await page.waitForSelector('#run-panel .status-success', { timeout: 60_000 });
    expect(await textOf(page.locator('#run-panel'))).toContain('Import From Date, asked by alice');
    expect(await textOf(page.locator('#run-panel'))).toContain('2020-01-01 00:00:00 UTC to');

    await page.goto(`${base}/console/runs?job=${encodeURIComponent(companySync.id)}&status=success&trigger=import_from_date`);
    expect(await page.locator('tbody tr').count()).toBe(1);
  });

  it('previews a job and a draft of it, writing nothing, then retries the failing records from the job and run pages', async () => {
    const page = await browser.context.newPage();
    guard(page);
    const jobPage = `${base}/console/jobs/${encodeURIComponent(companySync.id)}`;
    const companies = async () => stack.database.sql<{ name: string }[]>`select name from company order by gsid`;
    const before = await companies();
    const runCount = async () => (await stack.database.sql<{ n: number }[]>`select count(*)::int as n from runs`)[0]!.n;
    const runsBefore = await runCount();

    // The saved job over the whole history: every company is already written as it is.
    await page.goto(jobPage);
    await page.fill('#preview-saved input[name=from]', '2020-01-01T00:00');
    await page.click('#preview-saved button[type=submit]');
    await page.waitForSelector('h1:has-text("Preview of")');
    const saved = await api<{ summary: Record<string, number> }>(stack, 'POST', `/v1/jobs/${companySync.id}/preview`, { window: { from: '2020-01-01T00:00:00Z' } });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.summary.unchanged).toBe(30);
    for (const key of ['insert', 'update', 'unchanged', 'filtered', 'fail']) {
      expect(await page.textContent(`[data-count="${key}"]`), key).toBe(String(saved.body.summary[key]));
    }

    // A draft that maps the account id onto the name: each company would change its name.
    const draft = { mappings: companySync.mappings.map((m) => (m.target === 'name' ? { ...m, source: 'id' } : m)) };
    await page.click('summary:has-text("Preview a draft")');
    await page.fill('#preview-draft textarea', JSON.stringify(draft));
    await page.fill('#preview-draft input[name=from]', '2020-01-01T00:00');
    await page.click('#preview-draft button[type=submit]');
    await page.waitForSelector('h1:has-text("(draft)")');
    expect(await page.textContent('[data-count="update"]')).toBe('30');
    const change = await textOf(page.locator('tr[data-outcome="update"] ul.changes li').first());
    expect(change).toMatch(/^name: .+ → \S+$/);
    expect(await companies()).toEqual(before);
    expect(await runCount()).toBe(runsBefore);
    // The draft stays in its form, to edit again; a draft that does not pass says what to fix.
    expect(JSON.parse(await page.inputValue('#preview-draft textarea'))).toEqual(draft);
    await page.fill('#preview-draft textarea', '{"mappings": [{"source": "id"}]}');
    const refused = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/preview')), page.click('#preview-draft button[type=submit]')]);
    expect(refused[0].status()).toBe(400);
    expect(await textOf(page.locator('.notice-error'))).toContain('draft/mappings/0');
    // The browser reports the 400 itself (its console message may trail the page); it is the only
    // error the page met.
    await expect.poll(() => browserErrors.length).toBeGreaterThan(0);
    expect(browserErrors.splice(0)).toEqual([expect.stringContaining('status of 400')]);
    expect(await page.inputValue('#preview-draft textarea')).toBe('{"mappings": [{"source": "id"}]}');

    // What fails now for Company Person Sync: the users without a company, all retried at once.
    const open = await api<{ total: number; byReason: { reason: string; count: number }[] }>(stack, 'GET', `/v1/jobs/${companyPersonSync.id}/failures`);
    expect(open.body.total).toBeGreaterThan(0);
    await page.goto(`${base}/console/jobs/${encodeURIComponent(companyPersonSync.id)}`);
    const reasons = page.locator('table.reasons tbody tr');
    expect(await reasons.count()).toBe(open.body.byReason.length);
    expect(await textOf(reasons.first())).toContain(open.body.byReason[0]!.reason);
    await page.click(`button:has-text("Retry all ${open.body.total}")`);
    await page.waitForURL(/\/console\/runs\/[^/]+$/);
    await page.waitForSelector('#run-panel .status-partial_success, #run-panel .status-failure', { timeout: 60_000 });
    expect(await textOf(page.locator('#run-panel'))).toContain('Retry of failed records, asked by alice');
    expect(await textOf(page.locator('#run-panel'))).toContain('every record of the job that was failing');
    expect(await page.textContent('[data-count="failed"]')).toBe(String(open.body.total));
    expect(await page.textContent('[data-count="fetched"]')).toBe(String(open.body.total));

    // One run's failed records, from that run's page.
    const retried = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.click('button:has-text("Retry the failed records")');
    await page.waitForURL((url) => !url.pathname.endsWith(encodeURIComponent(retried)));
    expect(await textOf(page.locator('#run-panel'))).toContain(`the failed records of run ${retried}`);
    await page.waitForSelector('#run-panel .status-partial_success, #run-panel .status-failure', { timeout: 60_000 });
    expect(await injected(page)).toBeNull();
    expect(browserErrors, browserErrors.join('\n')).toEqual([]);
  });

  it('lets a viewer look but not act, and signing out ends the session', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/console/jobs`);
    await page.click('button:has-text("Log out")');
    await page.waitForURL(/\/console\/login$/);
    await page.goto(`${base}/console/jobs`);
    await page.waitForURL(/\/console\/login/);

    await signIn(page, VIEWER_TOKEN);
    expect(await textOf(page.locator('header'))).toContain('victor (viewer');
    expect(await page.locator('button:has-text("Import Now")').count()).toBe(0);
    await page.goto(`${base}/console/jobs/${encodeURIComponent(companySync.id)}`);
    expect(await page.locator('#action-import-now').count()).toBe(0);
    // A viewer may preview the saved job, not a draft of it, and retries nothing.
    expect(await page.locator('summary:has-text("Preview a draft")').count()).toBe(0);
    expect(await page.locator('button:has-text("Retry")').count()).toBe(0);
    await page.click('#preview-saved button[type=submit]');
    await page.waitForSelector('h1:has-text("Preview of")');
    const draftStatus = await page.evaluate(
      async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'draft=%7B%7D' })).status,
      `${base}/console/jobs/${encodeURIComponent(companySync.id)}/preview`,
    );
    expect(draftStatus).toBe(403);
    // Where an admin is offered retries (a job's open failures, a run that ended with failures), a
    // viewer sees what fails but gets no button.
    const failing = await api<{ total: number }>(stack, 'GET', `/v1/jobs/${companyPersonSync.id}/failures`);
    expect(failing.body.total).toBeGreaterThan(0);
    await page.goto(`${base}/console/jobs/${encodeURIComponent(companyPersonSync.id)}`);
    await page.locator('table.reasons').waitFor();
    expect(await page.locator('button:has-text("Retry")').count()).toBe(0);
    const [failedRun] = (await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companyPersonSync.id}/runs?status=partial_success&limit=1`)).body.items;
    expect(failedRun!.counts.failed).toBeGreaterThan(0);
    await page.goto(`${base}/console/runs/${encodeURIComponent(failedRun!.id)}`);
    await page.locator('#run-panel').waitFor();
    expect(await page.locator('button:has-text("Retry")').count()).toBe(0);
    // Even forms sent by hand from the console's own origin are refused.
    for (const action of [`jobs/${encodeURIComponent(companySync.id)}/import-now`, `jobs/${encodeURIComponent(companyPersonSync.id)}/retry-failed`, `runs/${encodeURIComponent(failedRun!.id)}/retry-failed`]) {
      const status = await page.evaluate(async (url) => (await fetch(url, { method: 'POST' })).status, `${base}/console/${action}`);
      expect(status, action).toBe(403);
    }
  });

  it('keeps the token out of the session cookie, which is HttpOnly, SameSite=Strict and expires', async () => {
    const login = await stack.app.inject({ method: 'POST', url: '/console/login', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: CONSOLE_ORIGIN }, payload: `token=${ADMIN_TOKEN}` });
    const cookie = String([login.headers['set-cookie']].flat()[0]);
    expect(cookie).toMatch(/^syncline_console=[^;]+; Max-Age=28800; Path=\/console; HttpOnly; SameSite=Strict$/);
    const value = decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!);
    expect(value).not.toContain(ADMIN_TOKEN);
    expect(Buffer.from(value.split('.')[0]!, 'base64url').toString('utf8')).not.toContain(ADMIN_TOKEN);
    expect(login.headers['content-security-policy']).toContain("script-src 'self'");
    const wrong = await stack.app.inject({ method: 'POST', url: '/console/login', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: CONSOLE_ORIGIN }, payload: 'token=guess' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('answers a draft over the size the console takes with a 413 page that says so, not a server error', async () => {
    const cookie = await consoleSession(stack, ADMIN_TOKEN);
    const answer = await stack.app.inject({
      method: 'POST',
      url: `/console/jobs/${companySync.id}/preview`,
      headers: { cookie, origin: CONSOLE_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `draft=${'%E2%82%AC'.repeat(100_000)}`,
    });
    expect(answer.statusCode).toBe(413);
    expect(answer.headers['content-type']).toContain('text/html');
    expect(answer.body).toContain('larger than the console takes');
  });

  it('refuses forms sent from elsewhere, forged sessions and sessions of a token no longer valid', async () => {
    const cookie = await consoleSession(stack, ADMIN_TOKEN);
    const runsOf = async () => (await stack.database.sql<{ n: number }[]>`select count(*)::int as n from runs where job_id = ${companySync.id}`)[0]!.n;
    const before = await runsOf();
    const post = (headers: Record<string, string>) => stack.app.inject({ method: 'POST', url: `/console/jobs/${companySync.id}/import-now`, headers: { cookie, ...headers } });
    expect((await post({ origin: 'http://evil.test' })).statusCode).toBe(403);
    expect((await post({ referer: 'http://evil.test/page' })).statusCode).toBe(403);
    expect((await post({})).statusCode).toBe(403);
    expect((await stack.app.inject({ method: 'POST', url: '/console/login', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.test' }, payload: `token=${ADMIN_TOKEN}` })).statusCode).toBe(403);
    expect(await runsOf()).toBe(before);
    expect((await post({ origin: CONSOLE_ORIGIN })).statusCode).toBe(303);

    const [name, value] = cookie.split('=') as [string, string];
    const forged = `${name}=${Buffer.from(JSON.stringify({ n: 'alice', f: 'x', e: 9_999_999_999 })).toString('base64url')}.${value.split('.').pop()}`;
    const refused = await stack.app.inject({ method: 'GET', url: '/console/jobs', headers: { cookie: forged } });
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe('/console/login?next=%2Fconsole%2Fjobs');

    // The same SECRET_KEY, but alice's token was replaced: her session ends with it.
    const rotated = await buildApp({ database: stack.database, temporal: stack.temporal, secrets: stack.secrets, outbound: stack.outbound, tokens: [{ name: 'alice', token: 'a-new-admin-token-of-24-characters', role: 'admin' }], publicUrl: CONSOLE_ORIGIN });
    try {
      expect((await stack.app.inject({ method: 'GET', url: '/console/jobs', headers: { cookie } })).statusCode).toBe(200);
      expect((await rotated.inject({ method: 'GET', url: '/console/jobs', headers: { cookie } })).statusCode).toBe(303);
    } finally {
      await rotated.close();
    }
  });

  it('answers every console route, given garbage, with a page and never a server error; without a session, with the sign-in', async () => {
    const cookie = await consoleSession(stack, ADMIN_TOKEN);
    const routes = consoleRoutes(stack.app);
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const url = `${fill(route.url, 'nope\u00e9 <x>')}?job=%00&status=<b>&from=yesterday&after=-1&next=//evil.test`;
      const signedIn = await stack.app.inject({ method: route.method as 'GET' | 'POST', url, headers: { cookie, origin: CONSOLE_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, payload: route.method === 'POST' ? 'from=<x>&token=' : undefined });
      expect(signedIn.statusCode, `${route.method} ${route.url}: ${signedIn.body.slice(0, 300)}`).toBeLessThan(500);
      expect(signedIn.body, `${route.method} ${route.url}`).not.toContain('<x>');
      const anonymous = await stack.app.inject({ method: route.method as 'GET' | 'POST', url });
      expect(anonymous.statusCode, `${route.method} ${route.url}`).toBeLessThan(500);
      const open = ['/console/assets/:name', '/console/login', '/console/logout'].includes(route.url);
      if (!open) expect([303, 401], `${route.method} ${route.url} without a session`).toContain(anonymous.statusCode);
    }
  });
});
