// /__sim: how tests, chaos and benchmark scripts in other processes drive the simulator (faults,
// data changes, statistics). No API key: it is not part of the PX API.
import type { IncomingMessage } from 'node:http';
import type { PxDataset } from './data.js';
import type { PxFaults } from './faults.js';
import { badRequest, notFound } from './http-error.js';
import { ok, readJsonBody, type SimResponse } from './http-io.js';
import type { PxObject } from './records.js';
import type { PxStats } from './stats.js';

export interface ControlContext {
  dataset: PxDataset;
  faults: PxFaults;
  stats: PxStats;
}

type Body = Record<string, unknown>;

export async function answerControl(context: ControlContext, req: IncomingMessage, url: URL): Promise<SimResponse> {
  const action = `${req.method ?? 'GET'} ${url.pathname}`;
  const body = req.method === 'POST' ? await readJsonBody(req) : undefined;
  switch (action) {
    case 'GET /__sim/faults':
      return ok(context.faults.state());
    case 'POST /__sim/faults':
      return withRangeChecks(() => setFaults(context.faults, asBody(body)));
    case 'GET /__sim/stats':
      return ok(context.stats);
    case 'POST /__sim/stats/reset':
      context.stats.reset();
      return ok(context.stats);
    case 'GET /__sim/data':
      return ok(describeData(context.dataset));
    case 'POST /__sim/touch':
      return withRangeChecks(() => touch(context.dataset, asBody(body)));
    case 'POST /__sim/add':
      return withRangeChecks(() => add(context.dataset, asBody(body)));
    case 'POST /__sim/poison':
      return poison(context.dataset, asBody(body));
    default:
      throw notFound(`No such simulator control: ${action}`);
  }
}

/**
 * Applies a JSON description of faults, `reset` first:
 * { reset?: true, rateLimit?: { count, retryAfterSeconds? }, outage?: { ms }, latency?: { ms },
 *   ignoreFilterFields?: string[], rejectFilterFields?: string[] }
 */
function setFaults(faults: PxFaults, body: Body): SimResponse {
  if (body.reset === true) faults.reset();
  if (body.rateLimit !== undefined) {
    const rateLimit = asBody(body.rateLimit, 'rateLimit');
    const retryAfterSeconds = optionalNumber(rateLimit, 'retryAfterSeconds');
    faults.rateLimit(requiredNumber(rateLimit, 'count'), retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
  if (body.outage !== undefined) faults.outage(requiredNumber(asBody(body.outage, 'outage'), 'ms'));
  if (body.latency !== undefined) faults.latency(requiredNumber(asBody(body.latency, 'latency'), 'ms'));
  if (body.ignoreFilterFields !== undefined) faults.ignoreFilterFields(stringList(body.ignoreFilterFields, 'ignoreFilterFields'));
  if (body.rejectFilterFields !== undefined) faults.rejectFilterFields(stringList(body.rejectFilterFields, 'rejectFilterFields'));
  return ok(faults.state());
}

function describeData(dataset: PxDataset): object {
  return {
    accountCount: dataset.accountCount,
    userCount: dataset.userCount,
    seed: dataset.seed,
    baseTime: dataset.baseTime,
    version: dataset.version,
  };
}

/** { object: "accounts"|"users", indexes: number[], now?: epoch ms } */
function touch(dataset: PxDataset, body: Body): SimResponse {
  const object = objectOf(body);
  const indexes = body.indexes;
  if (!Array.isArray(indexes) || !indexes.every((index) => typeof index === 'number')) throw badRequest('indexes must be an array of numbers');
  const now = optionalNumber(body, 'now') ?? Date.now();
  if (object === 'accounts') dataset.touchAccounts(indexes as number[], now);
  else dataset.touchUsers(indexes as number[], now);
  return ok({ object, touched: indexes.length, now, ...describeData(dataset) });
}

/** { object: "accounts"|"users", count: number, now?: epoch ms } */
function add(dataset: PxDataset, body: Body): SimResponse {
  const object = objectOf(body);
  const count = requiredNumber(body, 'count');
  const now = optionalNumber(body, 'now') ?? Date.now();
  const added = object === 'accounts' ? dataset.addAccounts(count, now) : dataset.addUsers(count, now);
  return ok({ object, added: added.length, firstIndex: added[0] ?? null, now, ...describeData(dataset) });
}

/** { on: boolean }: a few records carry values no target column can hold (poison.ts). */
function poison(dataset: PxDataset, body: Body): SimResponse {
  if (typeof body.on !== 'boolean') throw badRequest('on must be true or false');
  dataset.setPoison(body.on);
  return ok({ poison: dataset.poison, ...describeData(dataset) });
}

// The dataset and the faults reject bad numbers with RangeError; over HTTP that is the caller's 400.
function withRangeChecks(action: () => SimResponse): SimResponse {
  try {
    return action();
  } catch (error) {
    if (error instanceof RangeError) throw badRequest(error.message);
    throw error;
  }
}

function asBody(value: unknown, name = 'body'): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${name} must be a JSON object`);
  return value as Body;
}

function objectOf(body: Body): PxObject {
  if (body.object !== 'accounts' && body.object !== 'users') throw badRequest('object must be "accounts" or "users"');
  return body.object;
}

function requiredNumber(body: Body, name: string): number {
  const value = optionalNumber(body, name);
  if (value === undefined) throw badRequest(`${name} is required`);
  return value;
}

function optionalNumber(body: Body, name: string): number | undefined {
  const value = body[name];
  if (value !== undefined && typeof value !== 'number') throw badRequest(`${name} must be a number`);
  return value;
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw badRequest(`${name} must be an array of strings`);
  return value as string[];
}
