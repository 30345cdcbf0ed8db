// Faults a test or a chaos script injects into the API: rate limiting, outages, latency, and a
// server that ignores or rejects some filter fields (PX does not document lastModifiedDate
// filtering on list endpoints, so connectors must cope with both).
import type { Filter } from './filter.js';
import { badRequest } from './http-error.js';

export interface RateLimitOptions {
  /** Sent as a Retry-After header; without it the 429 carries no Retry-After, which PX may do. */
  retryAfterSeconds?: number;
}

export type InjectedFault = { status: 429; retryAfterSeconds: number | undefined } | { status: 503 };

export interface PxFaultState {
  rateLimitedRequestsLeft: number;
  retryAfterSeconds: number | null;
  outageUntil: number | null;
  latencyMs: number;
  ignoredFilterFields: string[];
  rejectedFilterFields: string[];
}

export class PxFaults {
  private rateLimitedLeft = 0;
  private retryAfter: number | undefined;
  private outageUntil = 0;
  private delay = 0;
  private ignored = new Set<string>();
  private rejected = new Set<string>();

  /** The next `count` API requests answer 429. */
  rateLimit(count: number, options: RateLimitOptions = {}): void {
    requireNonNegative('count', count);
    if (options.retryAfterSeconds !== undefined) requireNonNegative('retryAfterSeconds', options.retryAfterSeconds);
    this.rateLimitedLeft = count;
    this.retryAfter = options.retryAfterSeconds;
  }

  /** Every API request answers 503 for the next `ms` milliseconds. */
  outage(ms: number, now: number = Date.now()): void {
    requireNonNegative('ms', ms);
    this.outageUntil = now + ms;
  }

  /** Delays every API request by `ms`. */
  latency(ms: number): void {
    requireNonNegative('ms', ms);
    this.delay = ms;
  }

  /** Filter terms on these fields are dropped without a word. */
  ignoreFilterFields(fields: readonly string[]): void {
    this.ignored = new Set(fields);
  }

  /** A filter on any of these fields answers 400. */
  rejectFilterFields(fields: readonly string[]): void {
    this.rejected = new Set(fields);
  }

  reset(): void {
    this.rateLimitedLeft = 0;
    this.retryAfter = undefined;
    this.outageUntil = 0;
    this.delay = 0;
    this.ignored = new Set();
    this.rejected = new Set();
  }

  get latencyMs(): number {
    return this.delay;
  }

  isIgnored(field: string): boolean {
    return this.ignored.has(field);
  }

  isRejected(field: string): boolean {
    return this.rejected.has(field);
  }

  /** The fault the current API request meets, if any; a rate-limited request uses up one of the count. */
  takeFault(now: number = Date.now()): InjectedFault | undefined {
    if (now < this.outageUntil) return { status: 503 };
    if (this.rateLimitedLeft > 0) {
      this.rateLimitedLeft--;
      return { status: 429, retryAfterSeconds: this.retryAfter };
    }
    return undefined;
  }

  state(now: number = Date.now()): PxFaultState {
    return {
      rateLimitedRequestsLeft: this.rateLimitedLeft,
      retryAfterSeconds: this.rateLimitedLeft > 0 ? (this.retryAfter ?? null) : null,
      outageUntil: now < this.outageUntil ? this.outageUntil : null,
      latencyMs: this.delay,
      ignoredFilterFields: [...this.ignored],
      rejectedFilterFields: [...this.rejected],
    };
  }
}

function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
}

/** The filter the server applies: rejected fields answer 400, ignored ones are dropped. */
export function applyFilterFaults(filter: Filter, faults: PxFaults): Filter {
  const rejected = filter.flat().find((term) => faults.isRejected(term.field));
  if (rejected !== undefined) throw badRequest(`Filtering on field '${rejected.field}' is not supported`);
  const kept = filter.map((group) => group.filter((term) => !faults.isIgnored(term.field)));
  // A group left without terms matches every record, and so does the whole OR.
  return kept.some((group) => group.length === 0) ? [] : kept;
}
