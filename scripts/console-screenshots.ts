// `npx tsx scripts/console-screenshots.ts [outDir]`: the README's pictures of the console (default
// docs/). Starts the test suite's throwaway stack (Temporal dev server, a fresh database, the PX
// simulator, a worker, the API on a loopback port), makes runs worth showing (a partial success
// with failed records, a run waiting on a source outage), and photographs the main pages (a job's open failures and a draft's preview among them) with the
// same headless Chromium as tests/console.test.ts.
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { setup, teardown } from '../tests/support/global-setup.js';
import { ADMIN_TOKEN, api, eventually, startStack, type Stack } from '../tests/support/stack.js';
import { chooseAccountIdKey, connectPx, waitForRun } from '../tests/support/px-flow.js';
import { openBrowser } from '../tests/support/browser.js';
import { workerLogger } from '../temporal/worker-logger.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = resolve(process.argv[2] ?? join(root, 'docs'));

async function main(): Promise<void> {
  Runtime.install({ logger: workerLogger('ERROR') });
  const provided: Record<string, string> = {};
  await setup({ provide: (key: string, value: string) => (provided[key] = value) } as unknown as TestProject);
  let stack: Stack | undefined;
  const browser = await openBrowser({ width: 1360, height: 900 });
  try {
    stack = await startStack({ provided: { temporalAddress: provided.temporalAddress!, workflowBundlePath: provided.workflowBundlePath! }, px: { accounts: 40, users: 160, seed: 11 }, pageSize: 20 });
    const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
    const { companySync, companyPersonSync } = await connectPx(stack);
    await chooseAccountIdKey(stack, companySync);
    const call = async <T>(method: 'POST' | 'PUT', url: string, body?: unknown) => {
      const answer = await api<T>(stack!, method, url, body);
      if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status} ${answer.text}`);
      return answer.body;
    };
    // A partial success (users whose account has no company fail) after its dependency's success.
    const partial = await waitForRun(stack, (await call<{ runId: string }>('POST', `/v1/jobs/${companyPersonSync.id}/import-now`)).runId, 60_000);
    await call('PUT', `/v1/jobs/${companySync.id}/schedule`, { enabled: true, timezone: 'UTC', frequency: 'hourly', everyHours: 6 });
    // A run waiting on an outage of the source.
    stack.px!.faults.outage(10 * 60_000);
    const waiting = (await call<{ runId: string }>('POST', `/v1/jobs/${companySync.id}/import-from-date`, { from: '2020-01-01T00:00:00Z' })).runId;
    await eventually('the run to wait on the outage', async () => ((await api<{ waiting: { attempt: number; nextAttemptAt: string | null } | null }>(stack!, 'GET', `/v1/runs/${waiting}`)).body.waiting?.attempt ?? 0) >= 4, 90_000);

    await mkdir(out, { recursive: true });
    const page = await browser.context.newPage();
    await page.goto(`${base}/console`);
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL('**/console/jobs');
    const shoot = async (name: string) => {
      await page.screenshot({ path: join(out, `console-${name}.png`), fullPage: true });
      console.log(`console-${name}.png: ${page.url()}`);
    };
    await shoot('jobs');
    await page.goto(`${base}/console/runs`);
    await shoot('runs');
    await page.goto(`${base}/console/runs/${encodeURIComponent(waiting)}`);
    await page.waitForSelector('text=failed attempts');
    await shoot('run-waiting');
    await page.goto(`${base}/console/runs/${encodeURIComponent(partial.id)}`);
    await shoot('run');
    await page.goto(`${base}/console/runs/${encodeURIComponent(partial.id)}/failures`);
    await shoot('failures');
    await page.goto(`${base}/console/jobs/${encodeURIComponent(companySync.id)}`);
    await shoot('job');
    await page.goto(`${base}/console/jobs/${encodeURIComponent(companyPersonSync.id)}`);
    await page.click('summary:has-text("The latest")');
    await shoot('job-failing');
    stack.px!.faults.reset();
    // A draft that maps PX's account id onto the company name, previewed over the whole history.
    await page.goto(`${base}/console/jobs/${encodeURIComponent(companySync.id)}`);
    await page.click('summary:has-text("Preview a draft")');
    const draft = { mappings: [{ source: 'id', target: 'name' }, { source: 'numberOfUsers', target: 'number_of_users' }, { source: 'id', target: 'px_account_id', upsertKey: true }] };
    await page.fill('#preview-draft textarea', JSON.stringify(draft, null, 2));
    await page.fill('#preview-draft input[name=limit]', '8');
    await page.fill('#preview-draft input[name=from]', '2020-01-01T00:00');
    await page.click('#preview-draft button[type=submit]');
    await page.waitForSelector('h1:has-text("(draft)")');
    await shoot('preview');
    await waitForRun(stack, waiting, 6 * 60_000);
  } finally {
    await browser.close();
    await stack?.stop();
    await teardown();
  }
}

await main();
