// The REST API under /services/data/vXX.X on an org's My Domain: describe (global and per object),
// query and queryAll with query locators, limits, and Bulk API 2.0 query jobs. Every call needs an
// access token of that org, counts against its DailyApiRequests and reports the count in
// Sforce-Limit-Info; injected failures hit here.
import type { IncomingMessage } from 'node:http';
import type { Grants } from './auth.js';
import { BulkJobs, DEFAULT_RESULTS_PAGE, decodeLocator, encodeLocator, type QueryJob } from './bulk.js';
import { QueryCursors } from './cursors.js';
import type { DataObject, SfRecord } from './data.js';
import type { CallKind, SfFaults } from './faults.js';
import { apiError, csv, json, readJson, type SimResponse } from './http.js';
import { bearerOf } from './oauth-routes.js';
import type { Org, OrgRegistry } from './orgs.js';
import { csvRows, restRecord } from './render.js';
import { findObject, OBJECTS, type SfField } from './schema.js';
import { parseSoql, selectRecords, SoqlError, type SoqlQuery } from './soql.js';
import type { SfStats } from './stats.js';

export interface DataContext {
  orgs: OrgRegistry;
  grants: Grants;
  faults: SfFaults;
  stats: SfStats;
  cursors: QueryCursors;
  bulk: BulkJobs;
  /** The newest API version the simulated orgs serve, e.g. "62.0". */
  apiVersion: string;
}

const OLDEST_VERSION = 31;
const DEFAULT_BATCH = 2000;
const MIN_BATCH = 200;
const MAX_BATCH = 2000;

export async function answerData(context: DataContext, req: IncomingMessage, host: string, url: URL): Promise<SimResponse> {
  const path = url.pathname;
  if (path === '/services/data' || path === '/services/data/') {
    return json(200, versions(context).map((v) => ({ label: `v${v}`, url: `/services/data/v${v}`, version: v })));
  }
  const match = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(path);
  const version = match?.[1];
  if (!match || !version || !versions(context).includes(version)) throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  const org = authenticate(context, req, host);
  takeFailure(context, req, kindOf(match[2] ?? '/'));
  if (org.apiRequestsUsed >= org.dailyApiLimit) throw apiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
  org.apiRequestsUsed++;
  const response = await route(context, req, org, version, match[2] ?? '/', url);
  response.headers['sforce-limit-info'] = `api-usage=${org.apiRequestsUsed}/${org.dailyApiLimit}`;
  return response;
}

function versions(context: DataContext): string[] {
  const newest = Math.floor(Number(context.apiVersion));
  const list: string[] = [];
  for (let v = OLDEST_VERSION; v <= newest; v++) list.push(`${v}.0`);
  return list;
}

function authenticate(context: DataContext, req: IncomingMessage, host: string): Org {
  const token = bearerOf(req);
  const grant = token === null ? undefined : context.grants.accessGrant(token);
  // A token is good only on its own org's instance: another org's host, or a login host, rejects it.
  if (!grant || grant.org.host !== host) throw apiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
  return grant.org;
}

function kindOf(rest: string): CallKind | null {
  const [first, second] = rest.split('/').filter((p) => p !== '');
  if (first === 'query' || first === 'queryAll') return second === undefined ? 'query' : 'queryMore';
  if (first === 'sobjects') return 'describe';
  if (first === 'limits') return 'limits';
  if (first === 'jobs') return 'bulk';
  return null;
}

function takeFailure(context: DataContext, req: IncomingMessage, kind: CallKind | null): void {
  const failure = context.faults.takeFailure(kind);
  if (!failure) return;
  const retryAfter: Record<string, string> = failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
  switch (failure.status) {
    case 401: {
      // The session ends as if it had timed out: the token presented is dead from now on.
      const token = bearerOf(req);
      if (token) context.grants.expire(token);
      throw apiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    case 403:
      throw apiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    case 429:
      throw apiError(429, 'REQUEST_LIMIT_EXCEEDED', 'Too many requests; slow down', retryAfter);
    case 500:
      throw apiError(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)');
    case 503:
      throw apiError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable', retryAfter);
  }
}

async function route(context: DataContext, req: IncomingMessage, org: Org, version: string, rest: string, url: URL): Promise<SimResponse> {
  const method = req.method ?? 'GET';
  const parts = rest.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const [first, second, third, fourth] = parts;
  if (method === 'GET' && parts.length === 1 && first === 'limits') return limits(context, org);
  if (method === 'GET' && parts.length === 1 && first === 'sobjects') return describeGlobal(context, version);
  if (method === 'GET' && first === 'sobjects' && second && parts.length === 3 && third === 'describe') return describe(context, version, second);
  if (method === 'GET' && (first === 'query' || first === 'queryAll') && parts.length === 1) return query(context, req, org, version, first, url);
  if (method === 'GET' && (first === 'query' || first === 'queryAll') && second && parts.length === 2) return queryMore(context, org, version, second);
  if (first === 'jobs' && second === 'query') {
    if (method === 'POST' && parts.length === 2) return createJob(context, req, org, version);
    const job = third ? context.bulk.find(third, org) : undefined;
    if (third && !job) throw apiError(404, 'NOT_FOUND', `Job ${third} not found`);
    if (job && method === 'GET' && parts.length === 3) {
      context.stats.recordCall('bulkStatus');
      return json(200, context.bulk.info(job));
    }
    if (job && method === 'PATCH' && parts.length === 3) return abortJob(context, req, job);
    if (job && method === 'DELETE' && parts.length === 3) {
      context.bulk.delete(job.id);
      return { status: 204, body: '', headers: {} };
    }
    if (job && method === 'GET' && parts.length === 4 && fourth === 'results') return results(context, job, version, url);
  }
  throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

function limits(context: DataContext, org: Org): SimResponse {
  context.stats.recordCall('limits');
  return json(200, {
    DailyApiRequests: { Max: org.dailyApiLimit, Remaining: Math.max(0, org.dailyApiLimit - org.apiRequestsUsed) },
    DailyBulkV2QueryJobs: { Max: 10_000, Remaining: 10_000 },
    DailyBulkV2QueryFileStorageMB: { Max: 976_562, Remaining: 976_562 },
  });
}

function describeGlobal(context: DataContext, version: string): SimResponse {
  context.stats.recordCall('describeGlobal');
  return json(200, {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: OBJECTS.map((o) => ({
      name: o.name, label: o.label, labelPlural: o.labelPlural, keyPrefix: o.keyPrefix, custom: o.custom,
      queryable: true, retrieveable: true, searchable: true, createable: true, updateable: true, deletable: true, layoutable: true,
      urls: { sobject: `/services/data/v${version}/sobjects/${o.name}`, describe: `/services/data/v${version}/sobjects/${o.name}/describe` },
    })),
  });
}

function describe(context: DataContext, version: string, name: string): SimResponse {
  context.stats.recordCall('describe');
  const object = findObject(name);
  if (!object) throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  return json(200, {
    name: object.name, label: object.label, labelPlural: object.labelPlural, keyPrefix: object.keyPrefix, custom: object.custom,
    queryable: true, retrieveable: true, searchable: true, createable: true, updateable: true, deletable: true,
    fields: object.fields.map((f) => ({
      name: f.name, label: f.label, type: f.type, custom: f.custom, nillable: f.nillable, filterable: f.filterable, sortable: f.sortable,
      length: f.length, precision: f.precision, scale: f.scale, referenceTo: f.referenceTo, relationshipName: f.relationshipName,
      picklistValues: f.picklistValues, calculated: false, updateable: f.type !== 'id' && !['CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'IsDeleted'].includes(f.name),
    })),
    urls: { sobject: `/services/data/v${version}/sobjects/${object.name}`, describe: `/services/data/v${version}/sobjects/${object.name}/describe` },
  });
}

function parse(soql: string): SoqlQuery {
  try {
    return parseSoql(soql);
  } catch (error) {
    if (error instanceof SoqlError) throw apiError(400, error.errorCode, error.message);
    throw error;
  }
}

function recordsOf(org: Org, query: SoqlQuery, includeDeleted: boolean): SfRecord[] {
  const all = org.data.all(query.object.name as DataObject);
  const visible = includeDeleted ? all : all.filter((r) => r.IsDeleted !== true);
  const selected = selectRecords(query, visible);
  return query.limit === null ? selected : selected.slice(0, query.limit);
}

/** `Sforce-Query-Options: batchSize=N`: 200 to 2,000 (values outside are brought inside), 2,000 by default. */
function batchSizeOf(req: IncomingMessage): number | null {
  const header = req.headers['sforce-query-options'];
  const match = typeof header === 'string' ? /batchSize=(\d+)/i.exec(header) : null;
  return match ? Number(match[1]) : null;
}

function query(context: DataContext, req: IncomingMessage, org: Org, version: string, via: 'query' | 'queryAll', url: URL): SimResponse {
  context.stats.recordCall(via);
  const soql = url.searchParams.get('q') ?? '';
  const requested = batchSizeOf(req);
  context.stats.recordQuery({ host: org.host, via, soql, batchSize: requested });
  const parsed = parse(soql);
  const selected = recordsOf(org, parsed, via === 'queryAll');
  if (parsed.fields === null) return json(200, { totalSize: selected.length, done: true, records: [] });
  const batchSize = Math.min(MAX_BATCH, Math.max(MIN_BATCH, requested ?? DEFAULT_BATCH));
  // The result set is fixed when the query runs: later changes do not move records between batches.
  const snapshot = selected.map((r) => ({ ...r }));
  const cursor = snapshot.length > batchSize ? context.cursors.open({ org, object: parsed.object, fields: parsed.fields, records: snapshot, batchSize }) : null;
  return batch(context, version, via, { object: parsed.object, fields: parsed.fields, records: snapshot, batchSize }, cursor, 0);
}

function queryMore(context: DataContext, org: Org, version: string, locator: string): SimResponse {
  context.stats.recordCall('queryMore');
  const match = /^(01g[0-9A-Za-z]+)-(\d+)$/.exec(locator);
  const cursor = match ? context.cursors.use(match[1]!, org) : undefined;
  if (!match || !cursor) throw apiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
  return batch(context, version, 'query', cursor, match[1]!, Number(match[2]));
}

function batch(
  context: DataContext,
  version: string,
  via: string,
  set: { object: QueryJob['object']; fields: SfField[]; records: SfRecord[]; batchSize: number },
  cursor: string | null,
  offset: number,
): SimResponse {
  const end = Math.min(set.records.length, offset + set.batchSize);
  const records = set.records.slice(offset, end).map((r) => restRecord(set.object, set.fields, r, version));
  const done = end >= set.records.length;
  return json(200, {
    totalSize: set.records.length,
    done,
    ...(done || cursor === null ? {} : { nextRecordsUrl: `/services/data/v${version}/${via === 'queryAll' ? 'queryAll' : 'query'}/${cursor}-${end}` }),
    records,
  });
}

async function createJob(context: DataContext, req: IncomingMessage, org: Org, version: string): Promise<SimResponse> {
  context.stats.recordCall('bulkCreate');
  const body = await readJson(req);
  const operation = body.operation;
  if (operation !== 'query' && operation !== 'queryAll') throw apiError(400, 'INVALIDJOB', `operation must be query or queryAll, got ${JSON.stringify(operation)}`);
  if (body.contentType !== undefined && body.contentType !== 'CSV') throw apiError(400, 'INVALIDJOB', 'contentType must be CSV');
  if (body.columnDelimiter !== undefined && body.columnDelimiter !== 'COMMA') throw apiError(400, 'INVALIDJOB', 'this simulator writes COMMA-delimited results only');
  if (body.lineEnding !== undefined && body.lineEnding !== 'LF') throw apiError(400, 'INVALIDJOB', 'this simulator writes LF line endings only');
  const soql = typeof body.query === 'string' ? body.query : '';
  context.stats.recordQuery({ host: org.host, via: 'bulk', soql, batchSize: null });
  const parsed = parse(soql);
  if (parsed.fields === null) throw apiError(400, 'API_ERROR', 'Aggregate Relationships and COUNT() are not supported in Bulk API 2.0 queries');
  const results = recordsOf(org, parsed, operation === 'queryAll').map((r) => ({ ...r }));
  const job = context.bulk.create({ org, operation, object: parsed.object, fields: parsed.fields, soql, apiVersion: version, results });
  return json(200, context.bulk.info(job));
}

async function abortJob(context: DataContext, req: IncomingMessage, job: QueryJob): Promise<SimResponse> {
  const body = await readJson(req);
  if (body.state !== 'Aborted') throw apiError(400, 'INVALIDJOBSTATE', 'state can only be set to Aborted');
  job.aborted = true;
  return json(200, context.bulk.info(job));
}

function results(context: DataContext, job: QueryJob, version: string, url: URL): SimResponse {
  context.stats.recordCall('bulkResults');
  if (version !== job.apiVersion) throw apiError(409, 'INVALIDJOBSTATE', `Use API version ${job.apiVersion}, which created the job, to read its results`);
  const state = context.bulk.state(job);
  if (state !== 'JobComplete') {
    throw apiError(412, 'JOB_NOT_COMPLETE', `can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: ${state.toUpperCase()}`);
  }
  const locator = url.searchParams.get('locator');
  const offset = locator === null || locator === '' ? 0 : decodeLocator(locator);
  if (offset === undefined || offset > job.results.length) throw apiError(400, 'INVALIDLOCATOR', `Invalid locator: ${locator ?? ''}`);
  const maxText = url.searchParams.get('maxRecords');
  const max = maxText === null ? DEFAULT_RESULTS_PAGE : Number(maxText);
  if (!Number.isSafeInteger(max) || max < 1) throw apiError(400, 'INVALIDREQUEST', `maxRecords must be a positive whole number, got ${maxText ?? ''}`);
  const end = Math.min(job.results.length, offset + max);
  const body = csvRows(job.fields, job.results.slice(offset, end), true);
  return csv(body, { 'sforce-locator': end < job.results.length ? encodeLocator(end) : 'null', 'sforce-numberofrecords': String(end - offset) });
}
