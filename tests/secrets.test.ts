// A source credential is write-only: after it has been used for syncs it appears in no API answer,
// no table (the audit log included) except as ciphertext, and no Temporal history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, PX_KEY, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow, type JobDoc, type RunDoc } from './support/px-flow.js';
import { readable } from './support/history.js';

const WRONG_KEY = 'wrong-px-key-7d3e19';

describe('credentials stay secret', () => {
  let stack: Stack;
  let connectionId: string;
  let companySync: JobDoc;
  let companyPersonSync: JobDoc;
  const runs: RunDoc[] = [];

  beforeAll(async () => {
    stack = await startStack({ px: { accounts: 4, users: 8, seed: 2 } });
    ({ connectionId, companySync, companyPersonSync } = await connectPx(stack));
    companySync = await chooseAccountIdKey(stack, companySync);
    runs.push(await importNow(stack, companyPersonSync.id));
    // A wrong key fails the run: its error, too, must not repeat the key.
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: WRONG_KEY } })).status).toBe(200);
    runs.push(await importNow(stack, companySync.id));
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { apiKey: PX_KEY } })).status).toBe(200);
  });
  afterAll(async () => stack?.stop());

  it('the syncs really used the key', () => {
    expect(runs[0]!.status).toBe('success');
    expect(runs[0]!.counts.inserted).toBeGreaterThan(0);
    expect(runs[1]!.status).toBe('failure');
  });

  it('appears in no API answer', async () => {
    const urls = [
      '/v1/connections',
      `/v1/connections/${connectionId}`,
      '/v1/jobs',
      `/v1/jobs/${companySync.id}`,
      `/v1/jobs/${companySync.id}/runs`,
      `/v1/jobs/${companyPersonSync.id}/runs`,
      `/v1/jobs/${companySync.id}/state`,
      ...runs.flatMap((r) => [`/v1/runs/${r.id}`, `/v1/runs/${r.id}/errors`]),
      '/v1/logs?type=audit&limit=500',
      '/v1/logs?type=connection&limit=500',
      '/v1/logs?type=execution&limit=500',
      '/openapi.json',
    ];
    for (const url of urls) {
      const answer = await api(stack, 'GET', url);
      expect(answer.status, url).toBe(200);
      expect(answer.text, url).not.toContain(PX_KEY);
      expect(answer.text, url).not.toContain(WRONG_KEY);
    }
    const connection = await api<{ config: Record<string, unknown> }>(stack, 'GET', `/v1/connections/${connectionId}`);
    expect(connection.body.config.apiKey).toBe('********');
  });

  it('is stored only as ciphertext, and appears in no other table, the audit log included', async () => {
    const [row] = await stack.database.sql<{ secrets: string }[]>`select secrets from connections where id = ${connectionId}`;
    expect(row!.secrets).not.toContain(PX_KEY);
    expect(row!.secrets.startsWith('v1.')).toBe(true);
    expect(stack.secrets.open(row!.secrets)).toEqual({ apiKey: PX_KEY });

    const masked = await stack.database.sql<{ n: number }[]>`
      select count(*)::int as n from audit_log where attribute = 'config' and sub_attribute = 'apiKey' and new_value = '"********"'::jsonb`;
    expect(masked[0]!.n, 'the audit log records the key changes, masked').toBe(2);

    const tables = await stack.database.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
    expect(tables.map((t) => t.table_name)).toContain('audit_log');
    for (const { table_name } of tables) {
      const rows = await stack.database.sql<{ row: string }[]>`select t::text as row from ${stack.database.sql(table_name)} t`;
      const text = rows.map((r) => r.row).join('\n');
      expect(text, table_name).not.toContain(PX_KEY);
      expect(text, table_name).not.toContain(WRONG_KEY);
    }
  });

  it('appears in no Temporal history of the jobs or their runs', async () => {
    const workflowIds = [`job:${companySync.id}`, `job:${companyPersonSync.id}`, ...runs.map((r) => r.workflowId)];
    // The dependency run of Company Sync that Company Person Sync asked for.
    const companyRuns = await api<{ items: RunDoc[] }>(stack, 'GET', `/v1/jobs/${companySync.id}/runs`);
    workflowIds.push(...companyRuns.body.items.map((r) => r.workflowId));
    for (const workflowId of new Set(workflowIds)) {
      const history = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
      const text = readable(history).join('\n');
      expect(text, `${workflowId} history was read`).toContain(connectionId);
      expect(text, workflowId).not.toContain(PX_KEY);
      expect(text, workflowId).not.toContain(WRONG_KEY);
      expect(JSON.stringify(history), workflowId).not.toContain(PX_KEY);
    }
  });
});
