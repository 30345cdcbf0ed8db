// The baseline without Temporal: the engine's own run bookkeeping and page loop (read a page, map,
// look up, write it in one transaction, read the next page meanwhile) called in one process,
// so that what Temporal adds end to end can be told apart from what the work itself costs.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps.js';
import { createRunActivities } from '../../activities/runs.js';
import { createSyncPages } from '../../activities/sync-pages.js';
import { openDatabase } from '../../db/client.js';
import { jobs } from '../../db/schema.js';
import { createConnection } from '../../services/connections.js';
import { newId } from '../../services/ids.js';
import { SecretBox } from '../../services/secrets.js';
import { LOOPBACK_POLICY, Outbound } from '../../services/outbound.js';
import { runIdOf } from '../../temporal/names.js';
import type { SyncRunResult } from '../../workflows/types.js';

export interface DirectRun {
  ms: number;
  result: SyncRunResult;
}

export async function runDirect(options: { databaseUrl: string; pxUrl: string; pxKey: string }): Promise<{ companySync: DirectRun; companyPersonSync: DirectRun }> {
  const database = openDatabase(options.databaseUrl);
  try {
    const secrets = new SecretBox(randomBytes(32).toString('base64url'));
    const outbound = new Outbound(LOOPBACK_POLICY);
    // syncPages and the run bookkeeping used here touch only the database, the secrets and the source.
    const deps = { database, secrets, outbound } as ActivityDeps;
    const connection = await createConnection(database.db, secrets, outbound, 'bench', newId('conn'), {
      connector: 'gainsight-px',
      name: 'Connect to PX',
      config: { apiKey: options.pxKey, baseUrl: options.pxUrl },
    }, () => newId('job'));
    const owned = await database.db.select().from(jobs).where(eq(jobs.connectionId, connection.id));
    const companySync = owned.find((j) => j.targetObject === 'company')!;
    const companyPersonSync = owned.find((j) => j.targetObject === 'company_person')!;
    const mappings = companySync.mappings.map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' }));
    await database.db.update(jobs).set({ mappings }).where(eq(jobs.id, companySync.id));

    const bookkeeping = createRunActivities(deps);
    const syncPages = createSyncPages(deps);
    const environment = new MockActivityEnvironment();
    const run = async (jobId: string, n: number, watermark: string | null): Promise<DirectRun & { windowTo: string }> => {
      const started = performance.now();
      const runId = runIdOf(jobId, n);
      await bookkeeping.recordRunQueued({ runId, jobId, n, trigger: 'import_now', window: null, chainRunId: null, parentRunId: null, workflowId: `direct:${runId}` });
      const prepared = await bookkeeping.prepareRun({ runId, jobId, incremental: true, watermark, window: null });
      if ('error' in prepared) throw new Error(prepared.error.message);
      await bookkeeping.beginRun({ runId });
      let done = false;
      while (!done) ({ done } = await environment.run<[{ runId: string }], { done: boolean; pages: number }, typeof syncPages>(syncPages, { runId }));
      const result = await bookkeeping.finishRun({ runId, outcome: null });
      return { ms: performance.now() - started, result, windowTo: prepared.window.to };
    };
    const company = await run(companySync.id, 1, null);
    // Import Now on Company Person Sync runs its dependency, Company Sync, first (here with nothing
    // new since the run above), as end to end does; both are timed together.
    const started = performance.now();
    await run(companySync.id, 2, company.windowTo);
    const companyPerson = await run(companyPersonSync.id, 1, null);
    return { companySync: company, companyPersonSync: { ms: performance.now() - started, result: companyPerson.result } };
  } finally {
    await database.close();
  }
}
