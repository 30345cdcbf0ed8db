// /__sim: how tests, the demo and scripts drive the simulator (faults, tokens, data changes,
// statistics). Reached on the simulator's own address, without a Salesforce host or a token: it is
// no part of Salesforce.
import type { IncomingMessage } from 'node:http';
import type { Grants } from './auth.js';
import type { BulkJobs } from './bulk.js';
import type { QueryCursors } from './cursors.js';
import { OBJECT_NAMES, type DataObject } from './data.js';
import type { SfFaults } from './faults.js';
import { apiError, json, readJson, type SimResponse } from './http.js';
import { PRODUCTION_LOGIN_HOST, SANDBOX_LOGIN_HOST, type Org, type OrgRegistry } from './orgs.js';
import type { SfStats } from './stats.js';

export interface ControlContext {
  orgs: OrgRegistry;
  grants: Grants;
  faults: SfFaults;
  stats: SfStats;
  cursors: QueryCursors;
  bulk: BulkJobs;
}

type Body = Record<string, unknown>;

export async function answerControl(context: ControlContext, req: IncomingMessage, url: URL): Promise<SimResponse> {
  const action = `${req.method ?? 'GET'} ${url.pathname}`;
  const body = req.method === 'POST' ? await readJson(req) : {};
  try {
    switch (action) {
      case 'GET /__sim/orgs':
        return json(200, context.orgs.orgs.map(describeOrg));
      case 'GET /__sim/faults':
        return json(200, context.faults.state());
      case 'POST /__sim/faults':
        return setFaults(context.faults, body);
      case 'GET /__sim/stats':
        return json(200, context.stats);
      case 'POST /__sim/stats/reset':
        context.stats.reset();
        return json(200, context.stats);
      case 'POST /__sim/settings':
        return settings(context, body);
      case 'POST /__sim/tokens/expire':
        return json(200, { expired: context.grants.expireAccessTokens() });
      case 'POST /__sim/tokens/revoke':
        return json(200, { revoked: context.grants.revokeAll(body.org === undefined ? undefined : orgOf(context, body).id) });
      case 'POST /__sim/locators/expire':
        return json(200, { expired: context.cursors.expireAll() });
      case 'POST /__sim/data/touch': {
        const org = orgOf(context, body);
        org.data.touch(objectOf(body), indexesOf(body), optionalNumber(body, 'now'));
        return json(200, describeOrg(org));
      }
      case 'POST /__sim/data/add': {
        const org = orgOf(context, body);
        const added = org.data.add(objectOf(body), requiredNumber(body, 'count'), optionalNumber(body, 'now'));
        return json(200, { added, ...describeOrg(org) });
      }
      case 'POST /__sim/data/delete': {
        const org = orgOf(context, body);
        org.data.remove(objectOf(body), indexesOf(body), optionalNumber(body, 'now'));
        return json(200, describeOrg(org));
      }
      case 'POST /__sim/limits': {
        const org = orgOf(context, body);
        org.apiRequestsUsed = requiredNumber(body, 'used');
        return json(200, describeOrg(org));
      }
      default:
        throw apiError(404, 'NOT_FOUND', `No such simulator control: ${action}`);
    }
  } catch (error) {
    // The dataset and the faults refuse bad numbers with RangeError: over HTTP, the caller's 400.
    if (error instanceof RangeError) throw apiError(400, 'INVALID_CONTROL', error.message);
    throw error;
  }
}

export function describeOrg(org: Org) {
  return {
    id: org.id,
    myDomain: org.myDomain,
    sandbox: org.sandbox,
    host: org.host,
    loginHosts: [org.sandbox ? SANDBOX_LOGIN_HOST : PRODUCTION_LOGIN_HOST, org.host],
    username: org.username,
    counts: Object.fromEntries(OBJECT_NAMES.map((o) => [o, org.data.count(o)])),
    apiRequests: { used: org.apiRequestsUsed, max: org.dailyApiLimit },
    seed: org.data.seed,
    baseTime: org.data.baseTime,
  };
}

/**
 * { reset?, outage?: { ms }, fail?: { status: 401|403|429|500|503, count, retryAfterSeconds?, on?: query|queryMore|describe|limits|bulk },
 *   latency?: { ms }, denyConsent?: boolean, jwtApproved?: boolean }, reset first.
 */
function setFaults(faults: SfFaults, body: Body): SimResponse {
  if (body.reset === true) faults.reset();
  if (body.outage !== undefined) faults.outage(requiredNumber(asBody(body.outage, 'outage'), 'ms'));
  if (body.fail !== undefined) {
    const fail = asBody(body.fail, 'fail');
    if (fail.on !== undefined && typeof fail.on !== 'string') throw apiError(400, 'INVALID_CONTROL', 'fail.on must be the kind of call to fail');
    faults.fail(requiredNumber(fail, 'status'), requiredNumber(fail, 'count'), optionalNumber(fail, 'retryAfterSeconds'), fail.on);
  }
  if (body.latency !== undefined) faults.latency(requiredNumber(asBody(body.latency, 'latency'), 'ms'));
  if (body.denyConsent !== undefined) faults.denyConsent = requiredBoolean(body, 'denyConsent');
  if (body.jwtApproved !== undefined) faults.jwtApproved = requiredBoolean(body, 'jwtApproved');
  return json(200, faults.state());
}

/** { accessTokenTtlMs?, bulkProcessingMs?, locatorIdleMs? } */
function settings(context: ControlContext, body: Body): SimResponse {
  const ttl = optionalNumber(body, 'accessTokenTtlMs');
  if (ttl !== undefined) context.grants.accessTokenTtlMs = nonNegative('accessTokenTtlMs', ttl);
  const processing = optionalNumber(body, 'bulkProcessingMs');
  if (processing !== undefined) context.bulk.processingMs = nonNegative('bulkProcessingMs', processing);
  const idle = optionalNumber(body, 'locatorIdleMs');
  if (idle !== undefined) context.cursors.idleMs = nonNegative('locatorIdleMs', idle);
  return json(200, { accessTokenTtlMs: context.grants.accessTokenTtlMs, bulkProcessingMs: context.bulk.processingMs, locatorIdleMs: context.cursors.idleMs });
}

function orgOf(context: ControlContext, body: Body): Org {
  const name = body.org ?? context.orgs.orgs[0]?.myDomain;
  const org = typeof name === 'string' ? context.orgs.byMyDomain(name) : undefined;
  if (!org) throw apiError(400, 'INVALID_CONTROL', `org must be the My Domain name of an org: ${context.orgs.orgs.map((o) => o.myDomain).join(', ')}`);
  return org;
}

function objectOf(body: Body): DataObject {
  if (!OBJECT_NAMES.includes(body.object as DataObject)) throw apiError(400, 'INVALID_CONTROL', `object must be one of ${OBJECT_NAMES.join(', ')}`);
  return body.object as DataObject;
}

function indexesOf(body: Body): number[] {
  const indexes = body.indexes;
  if (!Array.isArray(indexes) || !indexes.every((i) => Number.isSafeInteger(i))) throw apiError(400, 'INVALID_CONTROL', 'indexes must be an array of whole numbers');
  return indexes as number[];
}

function asBody(value: unknown, name: string): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw apiError(400, 'INVALID_CONTROL', `${name} must be a JSON object`);
  return value as Body;
}

function requiredNumber(body: Body, name: string): number {
  const value = optionalNumber(body, name);
  if (value === undefined) throw apiError(400, 'INVALID_CONTROL', `${name} is required`);
  return value;
}

function optionalNumber(body: Body, name: string): number | undefined {
  const value = body[name];
  if (value !== undefined && typeof value !== 'number') throw apiError(400, 'INVALID_CONTROL', `${name} must be a number`);
  return value;
}

function requiredBoolean(body: Body, name: string): boolean {
  if (typeof body[name] !== 'boolean') throw apiError(400, 'INVALID_CONTROL', `${name} must be true or false`);
  return body[name];
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}
