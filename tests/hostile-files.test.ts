// A file's header comes from whoever wrote the file. A dotted header such as `__proto__.pageSize`
// must never reach a prototype: the file is refused naming the column, and every other job on the
// same worker runs as if the file had never come.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenColumns, recordOf } from '../connectors/files/records.js';
import { api, startStack, type Stack } from './support/stack.js';
import { waitForRun, type JobDoc, type RunDoc } from './support/px-flow.js';
import { createBucket, startMoto, type Moto } from './support/moto.js';
import { uploadFile } from './support/files.js';

const BUCKET = 'partner-drops';
const HOSTILE_HEADER = 'Account Id,Name,__proto__.pageSize,constructor.prototype.pattern,toString.x';

describe('records built from file headers', () => {
  it('refuses __proto__, constructor and prototype as path segments, naming the columns', () => {
    const header = HOSTILE_HEADER.split(',');
    expect(forbiddenColumns(header)).toEqual(['__proto__.pageSize', 'constructor.prototype.pattern']);
    const read = recordOf(header, { line: 2, fields: ['acc-1', 'Acme', '0', 'nothing', 'x'], problem: null }, 'drop.csv');
    expect(read.ok).toBe(false);
    if (!read.ok) {
      expect(read.rejected.sourceId).toBe('drop.csv line 2');
      expect(read.rejected.reason).toContain('"__proto__.pageSize", "constructor.prototype.pattern"');
    }
    expect(({} as Record<string, unknown>).pageSize).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('pattern');
  });

  it('builds records, nested fields included, as objects without a prototype', () => {
    const read = recordOf(['id', 'location.city', 'toString', 'hasOwnProperty.x'], { line: 5, fields: ['1', 'Lyon', 'plain', 'y'], problem: null }, 'ok.csv');
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(Object.getPrototypeOf(read.record)).toBeNull();
    expect(Object.getPrototypeOf(read.record.location)).toBeNull();
    expect(JSON.parse(JSON.stringify(read.record))).toEqual({ id: '1', location: { city: 'Lyon' }, toString: 'plain', hasOwnProperty: { x: 'y' }, _source: 'ok.csv line 5' });
  });
});

describe('a hostile file on a worker that runs other jobs', () => {
  let stack: Stack;
  let moto: Moto;
  let s3Job: JobDoc;
  let bulkJob: JobDoc;

  const createJob = async (connectionId: string, name: string, options: Record<string, unknown> = {}) => {
    const made = await api<JobDoc>(stack, 'POST', '/v1/jobs', {
      connectionId,
      name,
      source: { object: 'file' },
      target: { object: 'company' },
      mappings: [
        { source: 'Account Id', target: 'px_account_id', upsertKey: true },
        { source: 'Name', target: 'name' },
      ],
      options,
    });
    expect(made.status, made.text).toBe(201);
    return made.body;
  };

  beforeAll(async () => {
    // No page size override: the connectors' own defaults are what a polluted prototype would change.
    [stack, moto] = await Promise.all([startStack({ px: false }), startMoto()]);
    await createBucket(moto, BUCKET);
    const s3 = await api<{ id: string }>(stack, 'POST', '/v1/connections', {
      connector: 's3',
      name: 'Partner drops',
      config: { bucket: BUCKET, prefix: 'in/', endpoint: moto.endpoint, accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' },
    });
    expect(s3.status, s3.text).toBe(201);
    const bulk = await api<{ id: string }>(stack, 'POST', '/v1/connections', { connector: 'bulk-api', name: 'Uploads', config: {} });
    expect(bulk.status, bulk.text).toBe(201);
    s3Job = await createJob(s3.body.id, 'Accounts from partner drops');
    bulkJob = await createJob(bulk.body.id, 'Accounts from uploads');
  });
  afterAll(async () => {
    await stack?.stop();
    await moto?.stop();
  });

  it('skips the file as one failure naming the columns, and the next jobs read every row they are sent', async () => {
    await moto.put(BUCKET, 'in/hostile.csv', `${HOSTILE_HEADER}\nacc-1,Acme,0,nothing-matches,x\nacc-2,Globex,0,nothing-matches,x\n`);
    const triggered = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${s3Job.id}/import-now`);
    const hostile: RunDoc = await waitForRun(stack, triggered.body.runId);
    expect(hostile.status).toBe('partial_success');
    expect(hostile.counts).toMatchObject({ fetched: 1, failed: 1, inserted: 0 });
    const errors = await api<string>(stack, 'GET', `/v1/runs/${hostile.id}/errors`);
    expect(errors.text).toContain('in/hostile.csv: The columns ""__proto__.pageSize"", ""constructor.prototype.pattern"" cannot be read');
    expect(({} as Record<string, unknown>).pageSize, 'Object.prototype is untouched').toBeUndefined();
    expect(({} as Record<string, unknown>).pattern).toBeUndefined();

    // Another job on the same worker, with the connector's default page size.
    const upload = await uploadFile(stack, bulkJob.id, 'Account Id,Name\nacc-10,Initech\nacc-11,Umbrella\nacc-12,Hooli\n', { query: { name: 'accounts.csv' } });
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    const bulkRun = await waitForRun(stack, upload.body.runId);
    expect(bulkRun).toMatchObject({ status: 'success', counts: { fetched: 3, inserted: 3 } });

    // And the S3 job itself, on a good file, with its default pattern.
    await moto.put(BUCKET, 'in/good.csv', 'Account Id,Name\nacc-20,Stark\nacc-21,Wayne\n');
    const again = await api<{ runId: string }>(stack, 'POST', `/v1/jobs/${s3Job.id}/import-now`);
    expect(await waitForRun(stack, again.body.runId)).toMatchObject({ status: 'success', counts: { fetched: 2, inserted: 2 } });
    const names = await stack.database.sql<{ px_account_id: string }[]>`select px_account_id from company order by px_account_id`;
    expect(names.map((r) => r.px_account_id)).toEqual(['acc-10', 'acc-11', 'acc-12', 'acc-20', 'acc-21']);
  });

  it('refuses such a Bulk API upload with 422 naming the columns, staging nothing', async () => {
    const refused = await uploadFile(stack, bulkJob.id, `${HOSTILE_HEADER}\nacc-3,Acme,0,x,y\n`, { query: { name: 'hostile.csv' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error?.code).toBe('forbidden_columns');
    expect(refused.body.error?.message).toContain('"__proto__.pageSize", "constructor.prototype.pattern"');
    expect(refused.body.error?.details.map((d) => d.path)).toEqual(['header/__proto__.pageSize', 'header/constructor.prototype.pattern']);
    const [staged] = await stack.database.sql<{ n: number }[]>`select count(*)::int as n from uploads where name = 'hostile.csv'`;
    expect(staged!.n).toBe(0);
  });
});
