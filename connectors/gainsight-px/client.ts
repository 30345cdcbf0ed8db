// A client of the published Gainsight PX REST API: key header, scroll paging, rate limits. Requests
// go out under the outbound policy, to PX's documented hosts only (unless an operator allows more):
// the API key goes nowhere else, and nothing an answer says beyond its status is repeated.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'undici';
import {
  SynclineError,
  invalidConfiguration,
  sourceCredentialsRejected,
  sourceRequestRejected,
  sourceUnavailable,
} from '../../sync/errors.js';
import { CouldNotConnect, OutboundRefused, type Destination, type Outbound } from '../../services/outbound.js';
import { retryAfterMs } from '../retry-after.js';

export const PX_REGIONS = { us: 'https://api.aptrinsic.com/v1', eu: 'https://api-eu.aptrinsic.com/v1', us2: 'https://api-us2.aptrinsic.com/v1' } as const;
export type PxRegion = keyof typeof PX_REGIONS;
/** The hosts the PX key may be sent to: those of its documented regions. */
export const PX_DESTINATION: Destination = { name: 'Gainsight PX', hosts: Object.values(PX_REGIONS).map((url) => new URL(url).hostname) };
export const PX_MAX_PAGE_SIZE = 1000;

const SOURCE = 'Gainsight PX';
const REQUEST_TIMEOUT_MS = 30_000;
/** The largest answer read: a page of 1,000 users is 1 to 2 MB. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** A person is waiting on a connection test: one try, and not for long. */
const PROBE_TIMEOUT_MS = 10_000;
/** Short in-process retries absorb blips; longer outages are left to the workflow's retry policy. */
const QUICK_RETRIES = 2;
const QUICK_RETRY_MAX_WAIT_MS = 5_000;

export interface PxListPage {
  records: Record<string, unknown>[];
  scrollId: string | null;
  totalHits: number | null;
}

export interface PxAttribute {
  apiName: string;
  type: string;
  origin: string;
  state: string;
}

export class PxClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly outbound: Outbound,
    private readonly probeTimeoutMs: number = PROBE_TIMEOUT_MS,
  ) {}

  static baseUrlFor(region: string | undefined, override: string | undefined): string {
    if (override) return override.replace(/\/+$/, '');
    return PX_REGIONS[(region ?? 'us') as PxRegion] ?? PX_REGIONS.us;
  }

  async list(
    object: 'accounts' | 'users',
    query: { pageSize: number; scrollId: string | null; filters: string[]; sort?: string },
  ): Promise<PxListPage> {
    const params = new URLSearchParams({ pageSize: String(query.pageSize) });
    if (query.scrollId) params.set('scrollId', query.scrollId);
    for (const filter of query.filters) params.append('filter', filter);
    if (query.sort) params.set('sort', query.sort);
    const body = (await this.get(`/${object}?${params.toString()}`)) as Record<string, unknown>;
    const records = body[object];
    if (!Array.isArray(records)) {
      throw sourceUnavailable(SOURCE, `the ${object} list answered without an "${object}" array`);
    }
    return {
      records: records as Record<string, unknown>[],
      scrollId: typeof body.scrollId === 'string' && body.scrollId !== '' ? body.scrollId : null,
      totalHits: typeof body.totalHits === 'number' ? body.totalHits : null,
    };
  }

  /** Resolves when PX answers a list request with this key, after one try. */
  async probe(): Promise<void> {
    await this.getOnce('/accounts?pageSize=1', this.probeTimeoutMs);
  }

  async attributes(model: 'account' | 'user'): Promise<PxAttribute[]> {
    const body = await this.get(`/admin/model/${model}/attributes`);
    if (!Array.isArray(body)) throw sourceUnavailable(SOURCE, `the ${model} attributes answered without a list`);
    return body as PxAttribute[];
  }

  private async get(path: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.getOnce(path, REQUEST_TIMEOUT_MS);
      } catch (error) {
        if (!(error instanceof SynclineError) || !error.retryable || attempt >= QUICK_RETRIES) throw error;
        const wait = error.retryAfterMs ?? 250 * 2 ** attempt;
        if (wait > QUICK_RETRY_MAX_WAIT_MS) throw error;
        await sleep(wait);
      }
    }
  }

  private async getOnce(path: string, timeoutMs: number): Promise<unknown> {
    let response: Response;
    try {
      response = await this.outbound.fetch(
        `${this.baseUrl}${path}`,
        { headers: { 'X-APTRINSIC-API-KEY': this.apiKey, Accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) },
        PX_DESTINATION,
      );
    } catch (error) {
      if (error instanceof OutboundRefused) throw invalidConfiguration(`The Gainsight PX connection's baseUrl cannot be used: ${error.message}.`);
      if (error instanceof CouldNotConnect) throw sourceUnavailable(SOURCE, error.message);
      throw error;
    }
    if (response.ok) {
      const text = await boundedText(response, MAX_ANSWER_BYTES, path);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw sourceUnavailable(SOURCE, `the answer to ${path.split('?')[0]} could not be read`);
      }
    }
    // Only the status is kept: an answer's body may come from anywhere a URL once pointed.
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 401 || response.status === 403) throw sourceCredentialsRejected(SOURCE, response.status);
    if (response.status === 429) {
      throw sourceUnavailable(SOURCE, 'rate limit exceeded (429)', retryAfterMs(response.headers.get('retry-after')));
    }
    if (response.status >= 500) throw sourceUnavailable(SOURCE, `server error (${response.status})`);
    if (response.status >= 300 && response.status < 400) {
      throw sourceRequestRejected(SOURCE, `it answered ${response.status}, a redirect, which Syncline does not follow; check the connection's baseUrl`);
    }
    throw sourceRequestRejected(SOURCE, `it answered ${response.status}`);
  }
}

/**
 * The body, unless it grows past `max` bytes: a page is bounded by bytes as well as records, since
 * a thousand records with large attributes would otherwise be parsed whole in a worker's bounded
 * heap. Too large is the same on every retry, so it fails the run and says what to change.
 */
async function boundedText(response: Response, max: number, path: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    size += next.value.byteLength;
    if (size > max) {
      await reader!.cancel();
      throw sourceRequestRejected(SOURCE, `the answer to ${path.split('?')[0]} is larger than ${max / 1024 / 1024} MB; lower the job's pageSize option (1 to ${PX_MAX_PAGE_SIZE}) so that a page fits`);
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

