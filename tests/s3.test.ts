// Amazon S3: files under a prefix, picked by pattern and read by modification time, against a real
// S3-compatible server (moto). Each new or changed file is ingested once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, startStack, type Stack } from './support/stack.js';
import { waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { createBucket, freePort, startMoto, type Moto } from './support/moto.js';
import { uploadFile } from './support/files.js';
import { amazonS3 } from '../connectors/s3/index.js';
import { globMatcher } from '../connectors/s3/glob.js';
import { Outbound } from '../services/outbound.js';
import type { ReadRequest } from '../connectors/types.js';

type RunWithFiles = RunDoc & { files?: { name: string; counts: RunDoc['counts'] }[] };

const BUCKET = 'customer-exports';

describe('Amazon S3 files', () => {
  let stack: Stack;
  let moto: Moto;
  let connectionId: string;
  let job: JobDoc;

  const connect = async (name: string, config: Record<string, unknown> = {}) => {
    const created = await api<{ id: string; config: Record<string, unknown> }>(stack, 'POST', '/v1/connections', {
      connector: 's3',
      name,
      config: { bucket: BUCKET, prefix: 'incoming/', endpoint: moto.endpoint, accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI', ...config },
    });
    expect(created.status, created.text).toBe(201);
    return created.body;
  };
  const run = async (path: string, body?: unknown): Promise<RunWithFiles> => {
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${job.id}/${path}`, body);
    expect(triggered.status, triggered.text).toBe(202);
    return waitForRun(stack, triggered.body.runId);
  };
  const companies = async () => {
    const rows = await stack.database.sql<{ px_account_id: string; name: string }[]>`select px_account_id, name from company order by px_account_id`;
    return Object.fromEntries(rows.map((r) => [r.px_account_id, r.name]));
  };
  /** S3 keeps modification times to the second: files a second apart read in a known order. */
  const nextSecond = async (after: Date) => eventually('the next second', async () => Date.now() >= Math.floor(after.getTime() / 1000) * 1000 + 1100, 5000);

  beforeAll(async () => {
    [stack, moto] = await Promise.all([startStack({ px: false, pageSize: 2 }), startMoto()]);
    await createBucket(moto, BUCKET);
    const connection = await connect('Customer exports');
    connectionId = connection.id;
    expect(connection.config.secretAccessKey).toBe('********');
    const made = await api<JobDoc>(stack, 'POST', '/v1/jobs', {
      connectionId,
      name: 'Accounts from S3',
      source: { object: 'file' },
      target: { object: 'company' },
      mappings: [
        { source: 'Account Id', target: 'px_account_id', upsertKey: true },
        { source: 'Name', target: 'name' },
      ],
      options: { pattern: '*.csv', delimiter: 'comma' },
    });
    expect(made.status, made.text).toBe(201);
    job = made.body;
  });
  afterAll(async () => {
    await stack?.stop();
    await moto?.stop();
  });

  it('tests a connection by listing its prefix, with words for refused keys, a missing bucket and an unreachable endpoint', async () => {
    expect((await api(stack, 'POST', `/v1/connections/${connectionId}/test`)).body).toEqual({ ok: true });
    const missing = await connect('No such bucket', { bucket: 'no-such-bucket' });
    const noBucket = await api<{ ok: boolean; error: { code: string; message: string } }>(stack, 'POST', `/v1/connections/${missing.id}/test`);
    expect(noBucket.body.ok).toBe(false);
    expect(noBucket.body.error.message).toContain('The bucket "no-such-bucket" does not exist');
    const away = await connect('Nobody home', { endpoint: `http://127.0.0.1:${await freePort()}` });
    const unreachable = await api<{ ok: boolean; error: { code: string; message: string } }>(stack, 'POST', `/v1/connections/${away.id}/test`);
    expect(unreachable.body.ok).toBe(false);
    expect(unreachable.body.error.code).toBe('SOURCE_UNAVAILABLE');
    expect(unreachable.body.error.message).toContain(`could not connect to ${new URL(away.config.endpoint as string).host}`);
    const strict = await startMoto({ checkCredentials: true });
    try {
      const refusing = await connect('Unknown key', { endpoint: strict.endpoint });
      const refused = await api<{ ok: boolean; error: { code: string; message: string } }>(stack, 'POST', `/v1/connections/${refusing.id}/test`);
      expect(refused.body).toEqual({ ok: false, error: { code: 'SOURCE_AUTH_REJECTED', message: expect.stringContaining('Amazon S3 rejected the access key') as string } });
      expect(refused.body.error.message).toContain('403 InvalidAccessKeyId');
    } finally {
      await strict.stop();
    }
  });

  it('refuses job options it cannot use, naming them', async () => {
    const refused = await api<{ error: { details: { path: string }[] } }>(stack, 'PATCH', `/v1/jobs/${job.id}`, { options: { pattern: '*.csv', delimiter: 'semicolon', sheet: 1 } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.map((d) => d.path).sort()).toEqual(['/options/delimiter', '/options/sheet']);
    const slow = await api<{ error: { details: { path: string; message: string }[] } }>(stack, 'PATCH', `/v1/jobs/${job.id}`, { options: { pattern: '*acc*2024*.csv' } });
    expect(slow.status).toBe(400);
    expect(slow.body.error.details).toEqual([{ path: '/options/pattern', message: expect.stringContaining('at most 2 * or ** (this one has 3)') as string }]);
  });

  it('refuses an endpoint on a private or metadata address, and a changed endpoint without its secret', async () => {
    for (const endpoint of ['http://169.254.169.254', 'http://10.0.0.9:9000', 'http://[fd00:ec2::254]']) {
      const refused = await api<{ error: { details: { path: string; message: string }[] } }>(stack, 'POST', '/v1/connections', {
        connector: 's3',
        name: 'Metadata',
        config: { bucket: BUCKET, endpoint, accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
      });
      expect(refused.status, endpoint).toBe(400);
      expect(refused.body.error.details[0]).toMatchObject({ path: '/config/endpoint', message: expect.stringContaining('OUTBOUND_ALLOWED_NETWORKS') as string });
    }
    const moved = await api<{ error: { details: { path: string; message: string }[] } }>(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { endpoint: `http://127.0.0.1:${await freePort()}` } });
    expect(moved.status).toBe(400);
    expect(moved.body.error.details).toEqual([{ path: '/config/secretAccessKey', message: 'changing endpoint sends secretAccessKey to the new URL, so send secretAccessKey again in the same request' }]);
    expect((await api(stack, 'PATCH', `/v1/connections/${connectionId}`, { config: { endpoint: moto.endpoint } })).status, 'the same endpoint is no change').toBe(200);
  });

  it('reads the files matching the pattern, page by page, with counts per file', async () => {
    await moto.put(BUCKET, 'incoming/a.csv', '\uFEFFAccount Id,Name\r\nacc-1,"Acme, Inc."\r\nacc-2,Globex\r\nacc-3,Initech\r\n');
    await moto.put(BUCKET, 'incoming/notes.txt', 'Account Id,Name\nacc-9,Not a CSV\n');
    await moto.put(BUCKET, 'incoming/archive/old.csv', 'Account Id,Name\nacc-8,In a folder\n');
    await moto.put(BUCKET, 'elsewhere/x.csv', 'Account Id,Name\nacc-7,Outside the prefix\n');
    const first = await run('import-now');
    expect(first.status).toBe('success');
    expect(first.counts).toMatchObject({ fetched: 3, inserted: 3, failed: 0 });
    expect(first.files).toEqual([{ name: 'incoming/a.csv', counts: first.counts }]);
    expect(await companies()).toEqual({ 'acc-1': 'Acme, Inc.', 'acc-2': 'Globex', 'acc-3': 'Initech' });
  });

  it('a second run ingests only the new file', async () => {
    const added = await moto.put(BUCKET, 'incoming/b.csv', 'Account Id,Name\nacc-4,Umbrella\nacc-5,Hooli\nacc-6,"Broken, line",extra\n');
    const second = await run('import-now');
    expect(second.status).toBe('partial_success');
    expect(second.files?.map((f) => f.name)).toEqual(['incoming/b.csv']);
    expect(second.counts).toMatchObject({ fetched: 3, inserted: 2, failed: 1 });
    const errors = await api<string>(stack, 'GET', `/v1/runs/${second.id}/errors`);
    expect(errors.text).toContain('incoming/b.csv line 4,');
    expect(errors.text).toContain('3 fields where the header has 2');
    const [ingested] = await stack.database.sql<{ etag: string }[]>`select etag from s3_ingested where job_id = ${job.id} and key = 'incoming/b.csv'`;
    expect(ingested?.etag).toBe(added.etag);
  });

  it('a changed file (same key, new content) is ingested again', async () => {
    const before = (await stack.database.sql<{ last_modified: string }[]>`select max(last_modified) as last_modified from s3_ingested`)[0]!;
    await nextSecond(new Date(before.last_modified));
    await moto.put(BUCKET, 'incoming/a.csv', 'Account Id,Name\nacc-1,Acme Corporation\nacc-2,Globex\nacc-10,Soylent\n');
    const third = await run('import-now');
    expect(third.status).toBe('success');
    expect(third.files?.map((f) => f.name)).toEqual(['incoming/a.csv']);
    expect(third.counts).toMatchObject({ fetched: 3, inserted: 1, updated: 1, unchanged: 1 });
    expect((await companies())['acc-1']).toBe('Acme Corporation');
    const fourth = await run('import-now');
    expect(fourth.counts.fetched).toBe(0);
  });

  it('Import From Date reads the files modified in its window, again if need be, and leaves the watermark', async () => {
    const state = await api<{ watermark: string }>(stack, 'GET', `/v1/jobs/${job.id}/state`);
    const [a] = await stack.database.sql<{ last_modified: string }[]>`select last_modified from s3_ingested where job_id = ${job.id} and key = 'incoming/a.csv'`;
    const dated = await run('import-from-date', { from: new Date(a!.last_modified).toISOString() });
    expect(dated.trigger).toBe('import_from_date');
    expect(dated.files?.map((f) => f.name)).toEqual(['incoming/a.csv']);
    expect(dated.counts).toMatchObject({ fetched: 3, unchanged: 3 });
    const older = await run('import-from-date', { from: new Date(0).toISOString(), to: new Date(a!.last_modified).toISOString() });
    expect(older.files?.map((f) => f.name)).toEqual(['incoming/b.csv']);
    expect((await api<{ watermark: string }>(stack, 'GET', `/v1/jobs/${job.id}/state`)).body.watermark).toBe(state.body.watermark);
  });

  it('a file without a column the job reads is skipped as one failure naming the columns', async () => {
    await moto.put(BUCKET, 'incoming/c.csv', 'Account Id,Title\nacc-11,CEO\n');
    const skipped = await run('import-now');
    expect(skipped.status).toBe('partial_success');
    expect(skipped.counts).toMatchObject({ fetched: 1, failed: 1, inserted: 0 });
    const errors = await api<string>(stack, 'GET', `/v1/runs/${skipped.id}/errors`);
    expect(errors.text).toContain('incoming/c.csv lacks column the job reads: Name');
  });

  it('reaches no address the outbound policy refuses when it runs, whatever endpoint was stored', async () => {
    const settings = { config: { bucket: BUCKET, prefix: 'incoming/', endpoint: moto.endpoint, accessKeyId: 'AKIDEXAMPLE' }, secrets: { secretAccessKey: 'x' } };
    const strict = amazonS3.open(settings, { sql: stack.database.sql, outbound: new Outbound({ allowedHosts: [], allowedNetworks: [] }) });
    await expect(strict.test()).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE', message: expect.stringContaining(`could not connect to ${new URL(moto.endpoint).host}`) as string });
    await expect(amazonS3.open(settings, { sql: stack.database.sql, outbound: stack.outbound }).test()).resolves.toBeUndefined();
  });

  it('a read resumes mid-file from its cursor, in a new session, without the lines before it', async () => {
    await moto.put(BUCKET, 'resume/people.csv', 'Account Id,Name\r\nacc-1,"Multi\r\nline"\r\nacc-2,Two\r\nacc-3,Three\r\nacc-4,Four\r\n');
    const open = () => amazonS3.open({ config: { bucket: BUCKET, prefix: 'resume/', endpoint: moto.endpoint, accessKeyId: 'AKIDEXAMPLE' }, secrets: { secretAccessKey: 'x' } }, { sql: stack.database.sql, outbound: stack.outbound });
    const request = (cursor: unknown): ReadRequest => ({
      object: 'file',
      window: { from: new Date(0), to: new Date(Date.now() + 60_000) },
      cursor,
      filters: { conditions: [] },
      options: { pattern: '*.csv', pageSize: 2 },
      fields: ['Account Id', 'Name'],
      run: { id: 'probe', jobId: job.id, trigger: 'import_now' },
    });
    const first = await open().readPage(request(null));
    expect(first.records.map((r) => r._source)).toEqual(['resume/people.csv line 2', 'resume/people.csv line 4']);
    expect(first.nextCursor).toMatchObject({ line: 4 });
    const second = await open().readPage(request(JSON.parse(JSON.stringify(first.nextCursor))));
    expect(second.records).toEqual([
      { 'Account Id': 'acc-3', Name: 'Three', _source: 'resume/people.csv line 5' },
      { 'Account Id': 'acc-4', Name: 'Four', _source: 'resume/people.csv line 6' },
    ]);
    expect(second.nextCursor).toBeNull();
  });

  it('a line over 1 MB and a quote never closed fail alone, page after page; the file goes on after them', async () => {
    const huge = 'x'.repeat(1024 * 1024 + 10);
    await moto.put(BUCKET, 'incoming/oversized.csv', `Account Id,Name\nacc-20,Twenty\nacc-21,${huge}\nacc-22,"Never closed\nacc-23,Twenty-three\nacc-24,Twenty-four\n`);
    const read = await run('import-now');
    expect(read.status).toBe('partial_success');
    expect(read.counts).toMatchObject({ fetched: 5, inserted: 3, failed: 2 });
    const errors = await api<string>(stack, 'GET', `/v1/runs/${read.id}/errors`);
    expect(errors.text).toMatch(/incoming\/oversized\.csv line 3,.*longer than 1 MB/);
    expect(errors.text).toMatch(/incoming\/oversized\.csv line 4,.*never closed/);
    const names = await companies();
    expect([names['acc-20'], names['acc-23'], names['acc-24']]).toEqual(['Twenty', 'Twenty-three', 'Twenty-four']);
  });

  it('a retry of failed lines lands them once the mapping is fixed, without reading the file again', async () => {
    const long = 'L'.repeat(2_500);
    await moto.put(BUCKET, 'incoming/retry.csv', `Account Id,Name\nacc-30,${long}\nacc-31,Thirty-one\n`);
    const read = await run('import-now');
    expect(read.counts).toMatchObject({ fetched: 2, inserted: 1, failed: 1 });
    await moto.put(BUCKET, 'incoming/retry.csv', 'Account Id,Name\nacc-30,Changed since\n');
    const mappings = job.mappings.map((m) => (m.target === 'name' ? { ...m, target: 'industry' } : m));
    expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings })).status).toBe(200);
    try {
      const retried = await api<{ runId: string }>(stack, 'POST', `/v1/runs/${read.id}/retry-failed`);
      expect(retried.status, retried.text).toBe(202);
      const retry = await waitForRun(stack, retried.body.runId);
      expect(retry).toMatchObject({ trigger: 'retry_failed', status: 'success', counts: { fetched: 1, inserted: 1, failed: 0 } });
      // The stored record was retried, not the file as it is now.
      const [row] = await stack.database.sql<{ industry: string }[]>`select industry from company where px_account_id = 'acc-30'`;
      expect(row?.industry).toBe(long);
    } finally {
      expect((await api(stack, 'PATCH', `/v1/jobs/${job.id}`, { mappings: job.mappings })).status).toBe(200);
    }
    // The file's new version is read by the next run, as any change is.
    expect((await run('import-now')).files?.map((f) => f.name)).toEqual(['incoming/retry.csv']);
  });

  it('a Bulk API job may depend on an S3 job: an upload runs the S3 job first, then its own rows', async () => {
    const bulk = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Uploads', config: {} });
    const contacts = await api<JobDoc>(stack, 'POST', '/v1/jobs', {
      connectionId: bulk.body.id,
      name: 'Contacts from uploads',
      source: { object: 'contacts' },
      target: { object: 'person' },
      mappings: [
        { source: 'Email', target: 'email', upsertKey: true },
        { source: 'First name', target: 'first_name' },
      ],
      dependsOn: [job.id],
    });
    expect(contacts.status, contacts.text).toBe(201);
    await moto.put(BUCKET, 'incoming/d.csv', 'Account Id,Name\nacc-12,Wayne Enterprises\n');
    const answer = await uploadFile(stack, contacts.body.id, 'Email,First name\nann@example.com,Ann\n', { query: { name: 'contacts.csv' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const own = await waitForRun(stack, answer.body.runId);
    expect(own).toMatchObject({ status: 'success', trigger: 'upload', counts: { fetched: 1, inserted: 1 } });
    const runs = await api<{ items: RunWithFiles[] }>(stack, 'GET', `/v1/jobs/${job.id}/runs?limit=1`);
    const dependency = (await api<RunWithFiles>(stack, 'GET', `/v1/runs/${runs.body.items[0]!.id}`)).body;
    expect(dependency).toMatchObject({ trigger: 'dependency', status: 'success' });
    expect(dependency.files?.map((f) => f.name)).toEqual(['incoming/d.csv']);
    expect((await companies())['acc-12']).toBe('Wayne Enterprises');
    const [person] = await stack.database.sql<{ first_name: string }[]>`select first_name from person where email = 'ann@example.com'`;
    expect(person?.first_name).toBe('Ann');
  });
});

describe('S3 file name patterns', () => {
  it('keep their documented meaning: * and ? within a folder, ** across folders, every other character itself', () => {
    const cases: [string, string, boolean][] = [
      ['*.csv', 'a.csv', true],
      ['*.csv', 'nested/a.csv', false],
      ['*.csv', '.hidden.csv', true],
      ['**/*.tsv', 'a.tsv', true],
      ['**/*.tsv', 'x/y/a.tsv', true],
      ['accounts-????-??.csv', 'accounts-2024-01.csv', true],
      ['accounts-????-??.csv', 'accounts-2024-1.csv', false],
      ['a?c.csv', 'a/c.csv', false],
      ['exports/*/accounts-*.csv', 'exports/2024/accounts-1.csv', true],
      ['report (1).csv', 'report (1).csv', true],
      ['report (1).csv', 'report 1.csv', false],
      ['[ab].csv', 'a.csv', false],
      ['{a,b}.csv', 'a.csv', false],
      ['+(a|aa)b.csv', 'aab.csv', false],
    ];
    for (const [pattern, key, matches] of cases) expect(globMatcher(pattern)(key), `${pattern} ~ ${key}`).toBe(matches);
  });

  it('match a long key that almost matches quickly', () => {
    const keys = ['a'.repeat(1024), `${'a/'.repeat(511)}b`, `${'a'.repeat(511)}/${'a'.repeat(512)}`];
    const started = performance.now();
    for (const pattern of ['*a*b', '**/*a', '*a/*b', '?*?*b']) {
      const matches = globMatcher(pattern);
      for (const key of keys) for (let i = 0; i < 10; i++) matches(key);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
