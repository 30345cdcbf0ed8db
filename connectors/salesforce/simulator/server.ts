// Starts and stops the simulated Salesforce. One HTTP server stands for every Salesforce host: the
// host a request was meant for comes from a `/__host/<host>` path prefix (what a browser can carry),
// else the X-Forwarded-Host header, else the Host header; orgs answer only on their own hosts.
// /__sim drives the simulation.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen } from '../../simulators.js';
import { Grants, DEFAULT_ACCESS_TOKEN_TTL_MS, type ConnectedAppOptions } from './auth.js';
import { BulkJobs } from './bulk.js';
import { answerControl } from './control-routes.js';
import { QueryCursors } from './cursors.js';
import { answerData } from './data-routes.js';
import { SfFaults } from './faults.js';
import { apiError, page, send, SimHttpError, type SimResponse } from './http.js';
import { answerOAuth } from './oauth-routes.js';
import { defaultOrgs, OrgRegistry, PRODUCTION_LOGIN_HOST, SANDBOX_LOGIN_HOST, type OrgDefinition } from './orgs.js';
import { SfStats } from './stats.js';

export const SIMULATED_API_VERSION = '62.0';

export interface SalesforceSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  app: ConnectedAppOptions;
  orgs?: readonly OrgDefinition[];
  /** How long an access token lives (a Salesforce session timeout); default two hours. */
  accessTokenTtlMs?: number;
  /** How long a Bulk API query job takes to complete; default 300 ms. */
  bulkProcessingMs?: number;
}

export interface SalesforceSimulator {
  /** The simulator's own address, e.g. `http://127.0.0.1:4567`: what SALESFORCE_SIMULATOR_URL names. */
  readonly url: string;
  readonly port: number;
  readonly orgs: OrgRegistry;
  readonly grants: Grants;
  readonly faults: SfFaults;
  readonly stats: SfStats;
  readonly bulk: BulkJobs;
  readonly cursors: QueryCursors;
  /** The simulator's address for a Salesforce URL: `https://acme.my.salesforce.com/x` → `<url>/__host/acme.my.salesforce.com/x`. */
  addressOf(salesforceUrl: string): string;
  close(): Promise<void>;
}

export async function startSalesforceSimulator(options: SalesforceSimulatorOptions): Promise<SalesforceSimulator> {
  const orgs = new OrgRegistry(options.orgs ?? defaultOrgs());
  const context = {
    orgs,
    grants: new Grants(options.app, options.accessTokenTtlMs ?? DEFAULT_ACCESS_TOKEN_TTL_MS),
    faults: new SfFaults(),
    stats: new SfStats(),
    cursors: new QueryCursors(),
    bulk: new BulkJobs(options.bulkProcessingMs),
    apiVersion: SIMULATED_API_VERSION,
  };
  const server = createServer((req, res) => {
    void respond(context, req, res);
  });
  const listening = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const url = listening.origin;
  return {
    url,
    port: listening.port,
    ...context,
    addressOf(salesforceUrl) {
      const target = new URL(salesforceUrl);
      return `${url}/__host/${target.host}${target.pathname}${target.search}`;
    },
    close: listening.close,
  };
}

type Context = Parameters<typeof answerData>[0] & Parameters<typeof answerOAuth>[0] & Parameters<typeof answerControl>[0];

/** The Salesforce host a request was meant for, and its path without the `/__host/<host>` prefix. */
export function intendedTarget(req: IncomingMessage): { host: string; url: URL } {
  const raw = new URL(req.url ?? '/', 'http://simulator');
  const prefixed = /^\/__host\/([^/]+)(\/.*)?$/.exec(raw.pathname);
  if (prefixed) return { host: prefixed[1]!.toLowerCase(), url: new URL(`${prefixed[2] ?? '/'}${raw.search}`, 'http://simulator') };
  const forwarded = req.headers['x-forwarded-host'];
  const host = (typeof forwarded === 'string' && forwarded !== '' ? forwarded : req.headers.host ?? '').split(',')[0]!.trim().replace(/:\d+$/, '').toLowerCase();
  return { host, url: raw };
}

async function respond(context: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let response: SimResponse;
  const raw = new URL(req.url ?? '/', 'http://simulator');
  try {
    if (raw.pathname.startsWith('/__sim/')) {
      response = await answerControl(context, req, raw);
    } else {
      const { host, url } = intendedTarget(req);
      response = await answerSalesforce(context, req, host, url);
    }
  } catch (error) {
    response = asResponse(error);
  }
  if (!raw.pathname.startsWith('/__sim/')) context.stats.recordStatus(response.status);
  send(res, response);
}

async function answerSalesforce(context: Context, req: IncomingMessage, host: string, url: URL): Promise<SimResponse> {
  context.stats.recordRequest(host);
  const known = host === PRODUCTION_LOGIN_HOST || host === SANDBOX_LOGIN_HOST || context.orgs.forInstance(host) !== undefined;
  if (!known) {
    return page(404, 'Unknown host', `${host || '(no host)'} is no Salesforce host of this simulator; reach one through /__host/<host>/... or X-Forwarded-Host (${[PRODUCTION_LOGIN_HOST, SANDBOX_LOGIN_HOST, ...context.orgs.orgs.map((o) => o.host)].join(', ')}).`);
  }
  if (context.faults.latencyMs > 0) await sleep(context.faults.latencyMs);
  if (context.faults.inOutage()) throw apiError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable');
  const path = url.pathname;
  if (path.startsWith('/services/oauth2/') || path.startsWith('/id/')) return answerOAuth(context, req, host, url);
  if (path === '/services/data' || path.startsWith('/services/data/')) return answerData(context, req, host, url);
  throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

function asResponse(error: unknown): SimResponse {
  if (error instanceof SimHttpError) return error.response;
  // A bug in the simulator: say so loudly, and answer like a server that broke.
  console.error('Salesforce simulator: unexpected error', error);
  return apiError(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred in the simulator').response;
}
