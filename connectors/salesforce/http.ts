// Every HTTP request the Salesforce connector makes goes through `send`: only https Salesforce hosts,
// never a redirect followed, always a timeout. With SALESFORCE_SIMULATOR_URL set (tests, the demo)
// the request goes to the simulator instead, naming the host it was meant for in the path.
import { salesforceSimulatorUrl } from '../../config.js';
import { SynclineError, sourceRequestRejected, sourceUnavailable } from '../../sync/errors.js';
import { isSalesforceHost } from './hosts.js';
import { CouldNotConnect, OutboundRefused, type Destination, type Outbound } from '../../services/outbound.js';
import type { Response } from 'undici';

export const SOURCE = 'Salesforce';

export interface SalesforceRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** An absolute https URL on a Salesforce host. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Where the connector may send: Salesforce's login hosts, My Domains and instances (hosts.ts checks them first). */
const SALESFORCE: Destination = { name: 'Salesforce', hosts: ['login.salesforce.com', 'test.salesforce.com', '*.salesforce.com'] };

export async function send(outbound: Outbound, request: SalesforceRequest): Promise<Response> {
  const target = new URL(request.url);
  if (target.protocol !== 'https:' || !isSalesforceHost(target.hostname) || target.port !== '') {
    // Hosts come from the connection's settings and Salesforce's own answers, both checked before.
    throw new SynclineError('INTERNAL', `refused to send a Salesforce request to ${target.origin}: not an https Salesforce host`, false);
  }
  let response: Response;
  try {
    // The outbound policy checks the address the socket connects to, and never follows a redirect.
    response = await outbound.fetch(
      addressOf(target),
      { method: request.method, headers: request.headers ?? {}, ...(request.body !== undefined ? { body: request.body } : {}), signal: AbortSignal.timeout(request.timeoutMs) },
      SALESFORCE,
    );
  } catch (error) {
    if (error instanceof CouldNotConnect || error instanceof OutboundRefused) throw sourceUnavailable(SOURCE, `${error.message} (within ${request.timeoutMs / 1000} s)`);
    throw error;
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw sourceRequestRejected(SOURCE, `${target.host} answered ${response.status} with a redirect${response.headers.get('location') ? ` to ${new URL(response.headers.get('location')!, target).host}` : ''}; Syncline does not follow redirects. Check the connection's org type and custom domain.`);
  }
  return response;
}

/** Where a Salesforce URL is reached: itself, or the simulator naming it (SALESFORCE_SIMULATOR_URL). */
export function addressOf(target: URL): string {
  const simulator = salesforceSimulatorUrl();
  return simulator ? `${simulator}/__host/${target.host}${target.pathname}${target.search}` : target.toString();
}

