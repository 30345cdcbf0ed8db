// The PX REST API endpoints under /v1: faults first (they hit every request, authorised or not),
// then the API key, then the route.
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { attributesOf } from './attributes.js';
import type { PxDataset } from './data.js';
import { applyFilterFaults, type InjectedFault, type PxFaults } from './faults.js';
import { parseFilter } from './filter.js';
import { badRequest, notFound, SimulatorHttpError } from './http-error.js';
import { errorResponse, ok, type SimResponse } from './http-io.js';
import type { Lister } from './listing.js';
import type { PxObject } from './records.js';
import { queryHash } from './scroll.js';
import { parseSort } from './sort.js';
import type { PxStats } from './stats.js';

export interface ApiContext {
  apiKey: string;
  dataset: PxDataset;
  faults: PxFaults;
  stats: PxStats;
  lister: Lister;
}

export const API_KEY_HEADER = 'x-aptrinsic-api-key';
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 1000;

export async function answerApi(context: ApiContext, req: IncomingMessage, url: URL): Promise<SimResponse> {
  context.stats.recordRequest();
  if (context.faults.latencyMs > 0) await sleep(context.faults.latencyMs);
  const fault = context.faults.takeFault();
  if (fault !== undefined) return errorResponse(faultError(fault));
  if (req.headers[API_KEY_HEADER] !== context.apiKey) throw new SimulatorHttpError(401, 'Unauthorized or bad API Key');
  if (req.method !== 'GET') throw new SimulatorHttpError(405, `${req.method ?? 'This method'} is not supported here`);
  return route(context, url);
}

function faultError(fault: InjectedFault): SimulatorHttpError {
  if (fault.status === 503) return new SimulatorHttpError(503, 'Service Unavailable');
  const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
  return new SimulatorHttpError(429, 'Rate limit exceeded', headers);
}

function route(context: ApiContext, url: URL): SimResponse {
  const [, version, collection, ...rest] = url.pathname.split('/');
  if (version === 'v1' && (collection === 'accounts' || collection === 'users')) {
    if (rest.length === 0) return list(context, collection, url);
    if (rest.length === 1 && rest[0] !== undefined && rest[0] !== '') return single(context, collection, decodeSegment(rest[0]));
  }
  const attributes = /^\/v1\/admin\/model\/(account|user)\/attributes$/.exec(url.pathname)?.[1];
  if (attributes === 'account' || attributes === 'user') return ok(attributesOf(attributes, context.dataset.baseTime));
  throw notFound(`No such endpoint: ${url.pathname}`);
}

function list(context: ApiContext, object: PxObject, url: URL): SimResponse {
  context.stats.recordList(url);
  const params = url.searchParams;
  const filters = params.getAll('filter');
  const sort = params.get('sort') ?? undefined;
  const page = context.lister.page({
    object,
    filter: applyFilterFaults(parseFilter(filters), context.faults),
    sort: parseSort(sort),
    pageSize: parsePageSize(params.get('pageSize')),
    // An empty scrollId is what some clients send on the first call.
    scrollId: params.get('scrollId') || undefined,
    hash: queryHash(url.pathname, filters, sort),
  });
  return ok({ [object]: page.records, totalHits: page.totalHits, scrollId: page.scrollId });
}

function parsePageSize(value: string | null): number {
  if (value === null) return DEFAULT_PAGE_SIZE;
  const size = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(size >= 1 && size <= MAX_PAGE_SIZE)) throw badRequest(`pageSize must be between 1 and ${MAX_PAGE_SIZE}, got "${value}"`);
  return size;
}

function single(context: ApiContext, object: PxObject, id: string): SimResponse {
  const record = object === 'accounts' ? context.dataset.findAccount(id) : context.dataset.findUser(id);
  if (record === undefined) throw notFound(`No ${object === 'accounts' ? 'account' : 'user'} with id ${id}`);
  return ok(record);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape in the path is the client's error, not ours.
    throw badRequest(`Malformed path segment: ${segment}`);
  }
}
