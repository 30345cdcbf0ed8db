// Reading a window of one object, page by page: SOQL through the REST query resource (paged by
// nextRecordsUrl, resumable from the last committed record when a locator has expired), or a Bulk
// API 2.0 query job whose CSV results are read by locator. The cursor committed with each page says
// where the next one starts, so a retried activity reads exactly what follows.
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import type { ReadPage, ReadRequest } from '../types.js';
import { invalidConfiguration, sourceRequestRejected, sourceUnavailable } from '../../sync/errors.js';
import { instantOf } from '../../sync/convert.js';
import { QueryLocatorExpired, type SalesforceApi } from './api.js';
import { NUMBER_TYPES, type SfFieldInfo, type SfObjectInfo } from './describe.js';
import { SOURCE } from './http.js';
import { afterCondition, countQuery, MODSTAMP, pushdown, selectQuery, windowCondition } from './soql.js';

export const READ_MODES = ['auto', 'rest', 'bulk'] as const;
export type ReadMode = (typeof READ_MODES)[number];

export interface ReadOptions {
  readMode: ReadMode;
  /** REST: records per batch, 200 to 2,000 (Sforce-Query-Options). */
  batchSize: number;
  /** Bulk API: records per results set (maxRecords). */
  bulkPageSize: number;
  /** auto: the Bulk API above this many records in the window. */
  bulkThreshold: number;
  /** queryAll: deleted records too, with IsDeleted. */
  includeDeleted: boolean;
}

export const OPTION_LIMITS = {
  batchSize: { min: 200, max: 2000, default: 2000 },
  bulkPageSize: { min: 1, max: 100_000, default: 10_000 },
  bulkThreshold: { min: 0, max: Number.MAX_SAFE_INTEGER, default: 50_000 },
} as const;

type RestCursor = { m: 'rest'; next: string | null; last: { modstamp: string; id: string } | null };
type BulkCursor = { m: 'bulk'; job: string; locator: string | null };
type Cursor = RestCursor | BulkCursor;

/** How long one page waits for a Bulk API job before handing back an empty page and waiting again. */
const BULK_WAIT_MS = 45_000;

export function readOptionsOf(options: Record<string, unknown>): ReadOptions {
  const whole = (name: keyof typeof OPTION_LIMITS, fallback?: unknown): number => {
    const limits = OPTION_LIMITS[name];
    const value = Number(options[name] ?? fallback ?? limits.default);
    return Number.isInteger(value) ? Math.min(limits.max, Math.max(limits.min, value)) : limits.default;
  };
  return {
    readMode: READ_MODES.includes(options.readMode as ReadMode) ? (options.readMode as ReadMode) : 'auto',
    // A page size imposed on every connector (chaos runs, tests) applies to both paths.
    batchSize: whole('batchSize', options.pageSize),
    bulkPageSize: whole('bulkPageSize', options.pageSize),
    bulkThreshold: whole('bulkThreshold'),
    includeDeleted: options.includeDeleted === true,
  };
}

export class Reader {
  constructor(
    private readonly api: SalesforceApi,
    private readonly describe: (object: string) => Promise<SfObjectInfo>,
  ) {}

  async readPage(request: ReadRequest): Promise<ReadPage> {
    const options = readOptionsOf(request.options);
    const info = await this.describe(request.object);
    const fields = new Map(info.fields.map((f) => [f.name, f]));
    const select = selectList(info, fields, request.fields, options.includeDeleted);
    const conditions = [windowCondition(request.window), pushdown(request.filters, fields)];
    let cursor = request.cursor as Cursor | null;
    if (cursor === null && (await this.chooseBulk(info, conditions, options))) cursor = await this.createJob(info, select, conditions, options);
    const page = cursor?.m === 'bulk' ? await this.bulkPage(cursor, fields, options) : await this.restPage(info, select, conditions, cursor, options);
    const from = request.window.from.getTime();
    const to = request.window.to.getTime();
    // Salesforce applies the window; checking it again costs nothing and guards against a lax server.
    const records = page.records.filter((record) => {
      const at = instantOf(record[MODSTAMP]);
      return at === undefined || (at >= from && at < to);
    });
    const usage = this.api.usage;
    return { records, nextCursor: page.nextCursor, ...(usage ? { sourceUsage: { dailyApiRequests: { used: usage.used, max: usage.max } } } : {}) };
  }

  private async chooseBulk(info: SfObjectInfo, conditions: string[], options: ReadOptions): Promise<boolean> {
    if (options.readMode !== 'auto') return options.readMode === 'bulk';
    const answer = await this.api.json<{ totalSize: number }>('GET', `/${options.includeDeleted ? 'queryAll' : 'query'}?q=${encodeURIComponent(countQuery(info.name, conditions))}`);
    return answer.totalSize > options.bulkThreshold;
  }

  private async restPage(info: SfObjectInfo, select: string[], conditions: string[], cursor: Cursor | null, options: ReadOptions): Promise<{ records: Record<string, unknown>[]; nextCursor: RestCursor | null }> {
    const rest = cursor as RestCursor | null;
    const headers = { 'sforce-query-options': `batchSize=${options.batchSize}` };
    const resource = options.includeDeleted ? 'queryAll' : 'query';
    const run = (extra: string[]) => this.api.json<QueryAnswer>('GET', `/${resource}?q=${encodeURIComponent(selectQuery({ object: info.name, fields: select, conditions: [...conditions, ...extra], ordered: true }))}`, { headers });
    let answer: QueryAnswer;
    if (rest === null) {
      answer = await run([]);
    } else {
      try {
        answer = await this.api.json<QueryAnswer>('GET', rest.next!, { headers });
      } catch (error) {
        if (!(error instanceof QueryLocatorExpired)) throw error;
        // The locator lapsed (an outage, a long pause): the same query, after the last committed record.
        answer = await run(rest.last ? [afterCondition(rest.last)] : []);
      }
    }
    if (!Array.isArray(answer?.records)) throw sourceUnavailable(SOURCE, 'the query answered without records');
    const records = answer.records.map(withoutAttributes);
    const lastRecord = records[records.length - 1];
    const last = lastRecord ? { modstamp: String(lastRecord[MODSTAMP]), id: String(lastRecord.Id) } : (rest?.last ?? null);
    const next = answer.done === false && typeof answer.nextRecordsUrl === 'string' ? answer.nextRecordsUrl : null;
    if (next !== null && !/^\/services\/data\/v\d+\.\d\/query(?:All)?\/[0-9A-Za-z]+-\d+$/.test(next)) {
      throw sourceRequestRejected(SOURCE, `the query answered a nextRecordsUrl Syncline does not follow (${next.slice(0, 100)})`);
    }
    return { records, nextCursor: next === null ? null : { m: 'rest', next, last } };
  }

  private async createJob(info: SfObjectInfo, select: string[], conditions: string[], options: ReadOptions): Promise<BulkCursor> {
    const job = await this.api.json<{ id: string }>('POST', '/jobs/query', {
      body: { operation: options.includeDeleted ? 'queryAll' : 'query', query: selectQuery({ object: info.name, fields: select, conditions, ordered: false }), contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' },
    });
    if (typeof job?.id !== 'string' || !/^[0-9A-Za-z]{15,18}$/.test(job.id)) throw sourceUnavailable(SOURCE, 'the Bulk API answered a query job without an id');
    return { m: 'bulk', job: job.id, locator: null };
  }

  private async bulkPage(cursor: BulkCursor, fields: ReadonlyMap<string, SfFieldInfo>, options: ReadOptions): Promise<{ records: Record<string, unknown>[]; nextCursor: BulkCursor | null }> {
    if (!(await this.waitForJob(cursor.job))) return { records: [], nextCursor: cursor };
    const query = new URLSearchParams({ maxRecords: String(options.bulkPageSize), ...(cursor.locator ? { locator: cursor.locator } : {}) });
    const { text, headers } = await this.api.text(`/jobs/query/${cursor.job}/results?${query.toString()}`, 'text/csv');
    const records = parseResults(text, fields);
    const locator = headers.get('sforce-locator');
    if (locator === null || locator === '' || locator === 'null') {
      // The job's results are read: let Salesforce drop them rather than keep them for a week.
      await this.api.json('DELETE', `/jobs/query/${cursor.job}`).catch(() => undefined);
      return { records, nextCursor: null };
    }
    if (!/^[0-9A-Za-z+/=_-]{1,200}$/.test(locator)) throw sourceRequestRejected(SOURCE, 'the Bulk API answered a Sforce-Locator Syncline does not follow');
    return { records, nextCursor: { m: 'bulk', job: cursor.job, locator } };
  }

  /** True once the job is complete; false when it is still running after a while (the next page waits on). */
  private async waitForJob(job: string): Promise<boolean> {
    const deadline = Date.now() + BULK_WAIT_MS;
    for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
      let info: { state: string; errorMessage?: string };
      try {
        info = await this.api.json('GET', `/jobs/query/${job}`);
      } catch (error) {
        if (error instanceof Error && / 404 /.test(error.message)) {
          throw sourceRequestRejected(SOURCE, `the Bulk API query job ${job} no longer exists (Salesforce keeps them 7 days); run the import again`);
        }
        throw error;
      }
      if (info.state === 'JobComplete') return true;
      if (info.state === 'Failed' || info.state === 'Aborted') throw sourceRequestRejected(SOURCE, `the Bulk API query job ${job} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`);
      if (Date.now() + wait > deadline) return false;
      await sleep(wait);
    }
  }
}

interface QueryAnswer {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}

function withoutAttributes(record: Record<string, unknown>): Record<string, unknown> {
  const { attributes: _attributes, ...fields } = record;
  return fields;
}

/**
 * Id and SystemModstamp always (the record's id for errors, the window and resuming), IsDeleted with
 * queryAll, then every field the job uses, each checked against the describe so a typo fails the run
 * with its name rather than as Salesforce's INVALID_FIELD.
 */
function selectList(info: SfObjectInfo, fields: ReadonlyMap<string, SfFieldInfo>, wanted: readonly string[], includeDeleted: boolean): string[] {
  const select = ['Id', MODSTAMP, ...(includeDeleted ? ['IsDeleted'] : [])];
  for (const name of wanted) {
    if (fields.has(name)) {
      if (!select.includes(name)) select.push(name);
      continue;
    }
    if (name.includes('.')) {
      throw invalidConfiguration(`The job reads "${name}", a field of a related record; the Salesforce connector reads fields of ${info.name} itself. Map the reference (e.g. AccountId) and use a lookup instead.`);
    }
    const sameButCase = [...fields.keys()].find((f) => f.toLowerCase() === name.toLowerCase());
    throw invalidConfiguration(
      `Salesforce object ${info.name} has no field "${name}" (used by the job's mappings, lookups or filters)${sameButCase ? `; field names are case-sensitive here: use "${sameButCase}"` : ''}. GET /v1/connections/:id/objects lists the fields.`,
    );
  }
  return select;
}

/** Bulk API CSV holds text only: values are typed by the describe, as the REST API's JSON types them. */
function parseResults(text: string, fields: ReadonlyMap<string, SfFieldInfo>): Record<string, unknown>[] {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: false }) as string[][];
  } catch (error) {
    throw sourceUnavailable(SOURCE, `the Bulk API results could not be read as CSV (${(error as Error).message})`);
  }
  const [header, ...data] = rows;
  if (!header) return [];
  return data.map((row) => {
    const record: Record<string, unknown> = {};
    header.forEach((name, i) => {
      record[name] = typed(fields.get(name), row[i] ?? '');
    });
    return record;
  });
}

function typed(field: SfFieldInfo | undefined, value: string): unknown {
  // Salesforce keeps no empty strings: an empty value is a null.
  if (value === '') return null;
  if (field?.type === 'boolean') return value === 'true';
  if (field && NUMBER_TYPES.has(field.type)) {
    const number = Number(value);
    return Number.isFinite(number) ? number : value;
  }
  return value;
}
