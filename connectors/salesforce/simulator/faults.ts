// Faults a test, the demo or a chaos script injects: an outage (503 for a while), the next N API
// requests failing with 401, 403 (REQUEST_LIMIT_EXCEEDED), 429 or 503, latency, expired query
// locators, a user who denies consent, a JWT user who never approved the app.

export type FailStatus = 401 | 403 | 429 | 500 | 503;
export const FAIL_STATUSES: readonly FailStatus[] = [401, 403, 429, 500, 503];

export interface InjectedFailure {
  status: FailStatus;
  retryAfterSeconds: number | undefined;
}

/** The kinds of API call a failure can be aimed at: the next queryMore only, say, to fail a read mid-way. */
export const CALL_KINDS = ['query', 'queryMore', 'describe', 'limits', 'bulk'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

export interface SfFaultState {
  outageUntil: number | null;
  failing: { status: FailStatus; left: number; retryAfterSeconds: number | null; on: CallKind | null } | null;
  latencyMs: number;
  denyConsent: boolean;
  jwtApproved: boolean;
}

export class SfFaults {
  private outageUntil = 0;
  private failStatus: FailStatus = 503;
  private failLeft = 0;
  private retryAfter: number | undefined;
  private failOn: CallKind | null = null;
  private delay = 0;
  denyConsent = false;
  jwtApproved = true;

  /** Every Salesforce request (OAuth and API) answers 503 for the next `ms` milliseconds. */
  outage(ms: number, now: number = Date.now()): void {
    requireNonNegative('ms', ms);
    this.outageUntil = now + ms;
  }

  /** The next `count` API requests (of kind `on`, if given) fail with `status`. */
  fail(status: number, count: number, retryAfterSeconds?: number, on?: string): void {
    if (!FAIL_STATUSES.includes(status as FailStatus)) throw new RangeError(`status must be one of ${FAIL_STATUSES.join(', ')}, got ${status}`);
    requireNonNegative('count', count);
    if (retryAfterSeconds !== undefined) requireNonNegative('retryAfterSeconds', retryAfterSeconds);
    if (on !== undefined && !CALL_KINDS.includes(on as CallKind)) throw new RangeError(`on must be one of ${CALL_KINDS.join(', ')}, got ${on}`);
    this.failStatus = status as FailStatus;
    this.failLeft = count;
    this.retryAfter = retryAfterSeconds;
    this.failOn = (on as CallKind | undefined) ?? null;
  }

  latency(ms: number): void {
    requireNonNegative('ms', ms);
    this.delay = ms;
  }

  get latencyMs(): number {
    return this.delay;
  }

  inOutage(now: number = Date.now()): boolean {
    return now < this.outageUntil;
  }

  /** The failure the current API request meets, if any; each one uses up one of the count. */
  takeFailure(kind: CallKind | null): InjectedFailure | undefined {
    if (this.failLeft <= 0 || (this.failOn !== null && this.failOn !== kind)) return undefined;
    this.failLeft--;
    return { status: this.failStatus, retryAfterSeconds: this.retryAfter };
  }

  reset(): void {
    this.outageUntil = 0;
    this.failLeft = 0;
    this.retryAfter = undefined;
    this.failOn = null;
    this.delay = 0;
    this.denyConsent = false;
    this.jwtApproved = true;
  }

  state(now: number = Date.now()): SfFaultState {
    return {
      outageUntil: now < this.outageUntil ? this.outageUntil : null,
      failing: this.failLeft > 0 ? { status: this.failStatus, left: this.failLeft, retryAfterSeconds: this.retryAfter ?? null, on: this.failOn } : null,
      latencyMs: this.delay,
      denyConsent: this.denyConsent,
      jwtApproved: this.jwtApproved,
    };
  }
}

function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
}
