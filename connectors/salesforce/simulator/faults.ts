// Faults a test, the demo or a chaos script injects: an outage (503 for a while), the next N API
// requests failing with 401, 403 (REQUEST_LIMIT_EXCEEDED), 429 or 503, latency, expired query
// locators, a user who denies consent, a JWT user who never approved the app.

export type FailStatus = 401 | 403 | 429 | 500 | 503;
export const FAIL_STATUSES: readonly FailStatus[] = [401, 403, 429, 500, 503];

export interface InjectedFailure {
  status: FailStatus;
  retryAfterSeconds: number | undefined;
}

export interface SfFaultState {
  outageUntil: number | null;
  failing: { status: FailStatus; left: number; retryAfterSeconds: number | null } | null;
  latencyMs: number;
  denyConsent: boolean;
  jwtApproved: boolean;
}

export class SfFaults {
  private outageUntil = 0;
  private failStatus: FailStatus = 503;
  private failLeft = 0;
  private retryAfter: number | undefined;
  private delay = 0;
  denyConsent = false;
  jwtApproved = true;

  /** Every Salesforce request (OAuth and API) answers 503 for the next `ms` milliseconds. */
  outage(ms: number, now: number = Date.now()): void {
    requireNonNegative('ms', ms);
    this.outageUntil = now + ms;
  }

  /** The next `count` API requests fail with `status`. */
  fail(status: number, count: number, retryAfterSeconds?: number): void {
    if (!FAIL_STATUSES.includes(status as FailStatus)) throw new RangeError(`status must be one of ${FAIL_STATUSES.join(', ')}, got ${status}`);
    requireNonNegative('count', count);
    if (retryAfterSeconds !== undefined) requireNonNegative('retryAfterSeconds', retryAfterSeconds);
    this.failStatus = status as FailStatus;
    this.failLeft = count;
    this.retryAfter = retryAfterSeconds;
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
  takeFailure(): InjectedFailure | undefined {
    if (this.failLeft <= 0) return undefined;
    this.failLeft--;
    return { status: this.failStatus, retryAfterSeconds: this.retryAfter };
  }

  reset(): void {
    this.outageUntil = 0;
    this.failLeft = 0;
    this.retryAfter = undefined;
    this.delay = 0;
    this.denyConsent = false;
    this.jwtApproved = true;
  }

  state(now: number = Date.now()): SfFaultState {
    return {
      outageUntil: now < this.outageUntil ? this.outageUntil : null,
      failing: this.failLeft > 0 ? { status: this.failStatus, left: this.failLeft, retryAfterSeconds: this.retryAfter ?? null } : null,
      latencyMs: this.delay,
      denyConsent: this.denyConsent,
      jwtApproved: this.jwtApproved,
    };
  }
}

function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
}
