// A client of the published Gainsight PX REST API: key header, scroll paging, rate limits.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  SynclineError,
  sourceCredentialsRejected,
  sourceRequestRejected,
  sourceUnavailable,
} from '../../sync/errors.js';

export const PX_REGIONS = { us: 'https://api.aptrinsic.com/v1', eu: 'https://api-eu.aptrinsic.com/v1', us2: 'https://api-us2.aptrinsic.com/v1' } as const;
export type PxRegion = keyof typeof PX_REGIONS;
export const PX_MAX_PAGE_SIZE = 1000;

const SOURCE = 'Gainsight PX';
const REQUEST_TIMEOUT_MS = 30_000;
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
      response = await fetch(`${this.baseUrl}${path}`, {
        headers: { 'X-APTRINSIC-API-KEY': this.apiKey, Accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const host = new URL(this.baseUrl).host;
      if (error instanceof Error && error.name === 'TimeoutError') throw sourceUnavailable(SOURCE, `${host} did not answer within ${timeoutMs / 1000} s`);
      throw sourceUnavailable(SOURCE, `could not reach ${host} (${describeNetworkError(error)})`);
    }
    if (response.ok) {
      try {
        return await response.json();
      } catch (error) {
        throw sourceUnavailable(SOURCE, `the answer to ${path.split('?')[0]} could not be read (${describeNetworkError(error)})`);
      }
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) throw sourceCredentialsRejected(SOURCE, response.status);
    if (response.status === 429) {
      throw sourceUnavailable(SOURCE, 'rate limit exceeded (429)', retryAfterMs(response.headers.get('retry-after')));
    }
    if (response.status >= 500) throw sourceUnavailable(SOURCE, `server error (${response.status})`);
    throw sourceRequestRejected(SOURCE, `${response.status} ${text.slice(0, 200)}`);
  }
}

/** Retry-After is either seconds or an HTTP date; anything else is ignored. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return cause?.code ?? error.message;
  }
  return String(error);
}
