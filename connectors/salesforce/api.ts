// The Salesforce REST API with a connection's access token: renewed when Salesforce answers 401
// INVALID_SESSION_ID (its token answers carry no expiry), errors turned into Syncline's kinds
// (outages retried, configuration errors naming the field, a refused grant failing at once), and
// the org's daily API usage read from every Sforce-Limit-Info header.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthorizationGrant, GrantKeeper } from '../types.js';
import { invalidConfiguration, SynclineError, sourceRequestRejected, sourceUnavailable } from '../../sync/errors.js';
import { send, SOURCE } from './http.js';
import { retryAfterMs } from '../retry-after.js';
import type { Outbound } from '../../services/outbound.js';
import type { Headers, Response } from 'undici';
import { GrantRefused, type SalesforceOAuth, type TokenAnswer } from './oauth.js';

const REQUEST_TIMEOUT_MS = 60_000;
/** Short in-process retries absorb blips; longer outages are left to the run's retry policy. */
const QUICK_RETRIES = 2;
const QUICK_RETRY_MAX_WAIT_MS = 5_000;

export interface ApiUsage {
  /** DailyApiRequests used in the last 24 hours, and the org's limit. */
  used: number;
  max: number;
}

/** A query locator Salesforce has let go of (15 minutes unused): the reader re-queries from its last record. */
export class QueryLocatorExpired extends Error {}

export const grantOf = (answer: TokenAnswer, method: 'web_server' | 'jwt_bearer', username: string | null): AuthorizationGrant => ({
  credentials: { accessToken: answer.accessToken, ...(answer.refreshToken ? { refreshToken: answer.refreshToken } : {}) },
  details: { method, instanceUrl: answer.instanceUrl, orgId: answer.orgId, userId: answer.userId, username },
});

/**
 * A session's access token. Renewal is single-flight: pages read side by side that meet the same
 * expired token renew it once. Renewed tokens are handed to the GrantKeeper, so the next session
 * (the next activity, another worker) starts with them.
 */
export class AccessTokens {
  private accessToken: string | null;
  private instance: string | null;
  private renewing: Promise<void> | null = null;

  constructor(
    private readonly oauth: SalesforceOAuth,
    private readonly flow: 'web_server' | 'jwt_bearer',
    private grant: AuthorizationGrant | null,
    private readonly keeper: GrantKeeper | undefined,
    private readonly username: string | null,
  ) {
    this.accessToken = grant?.credentials.accessToken ?? null;
    this.instance = grant?.details.instanceUrl ?? null;
  }

  async current(): Promise<{ accessToken: string; instanceUrl: string }> {
    if (this.accessToken === null || this.instance === null) await this.renew(this.accessToken);
    return { accessToken: this.accessToken!, instanceUrl: this.instance! };
  }

  /** A new access token, unless another call already replaced `stale`. */
  async renew(stale: string | null): Promise<void> {
    if (this.accessToken !== null && this.accessToken !== stale) return;
    this.renewing ??= this.obtain().finally(() => {
      this.renewing = null;
    });
    await this.renewing;
  }

  private async obtain(): Promise<void> {
    try {
      if (this.flow === 'jwt_bearer') {
        const grant = grantOf(await this.oauth.jwtBearer(), 'jwt_bearer', this.username);
        this.use(grant);
        await this.keeper?.granted(grant);
        return;
      }
      const refreshToken = this.grant?.credentials.refreshToken;
      if (!refreshToken) {
        throw new SynclineError('SOURCE_AUTH_REJECTED', `The Salesforce connection is not authorized yet: POST /v1/connections/${this.connectionId}/authorize and open the authorizationUrl it answers in a browser.`, false);
      }
      const answer = await this.oauth.refresh(refreshToken);
      const credentials = { ...this.grant!.credentials, accessToken: answer.accessToken, ...(answer.refreshToken ? { refreshToken: answer.refreshToken } : {}) };
      this.use({ credentials, details: { ...this.grant!.details, instanceUrl: answer.instanceUrl } });
      await this.keeper?.renewed(credentials);
    } catch (error) {
      if (!(error instanceof GrantRefused)) throw error;
      const message =
        this.flow === 'jwt_bearer'
          ? `Salesforce (${this.oauth.loginHost}) refused the JWT bearer grant (${error.detail}). The connected app must hold the certificate of config.privateKey and be pre-authorized for ${this.username ?? 'the user'} (Manage > Permitted Users: Admin approved users are pre-authorized); then POST /v1/connections/${this.connectionId}/authorize.`
          : `Salesforce (${this.oauth.loginHost}) no longer accepts this connection's authorization (${error.detail}): it was revoked or has expired. Authorize the connection again: POST /v1/connections/${this.connectionId}/authorize and open the authorizationUrl it answers.`;
      await this.keeper?.lost(message);
      throw new SynclineError('SOURCE_AUTH_REJECTED', message, false);
    }
  }

  private get connectionId(): string {
    return this.keeper?.connectionId ?? ':id';
  }

  private use(grant: AuthorizationGrant): void {
    this.grant = grant;
    this.accessToken = grant.credentials.accessToken ?? null;
    this.instance = grant.details.instanceUrl ?? null;
  }
}

interface ApiError {
  errorCode: string;
  message: string;
}

export class SalesforceApi {
  /** The org's API usage as the latest answer reported it. */
  usage: ApiUsage | null = null;

  constructor(
    private readonly tokens: AccessTokens,
    readonly version: string,
    private readonly outbound: Outbound,
  ) {}

  /** `path` is under /services/data/vXX.X unless it starts with /services/ (a nextRecordsUrl). */
  async json<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const response = await this.call(method, path, {
      headers: { accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw sourceUnavailable(SOURCE, `the answer to ${path.split('?')[0]} could not be read as JSON`);
    }
  }

  async text(path: string, accept: string): Promise<{ text: string; headers: Headers }> {
    const response = await this.call('GET', path, { headers: { accept } });
    return { text: await response.text(), headers: response.headers };
  }

  private async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, init: { headers: Record<string, string>; body?: string }): Promise<Response> {
    for (let attempt = 0, renewed = false; ; attempt++) {
      try {
        const { accessToken, instanceUrl } = await this.tokens.current();
        const url = `${instanceUrl}${path.startsWith('/services/') ? path : `/services/data/v${this.version}${path}`}`;
        const response = await send(this.outbound, { method, url, headers: { ...init.headers, authorization: `Bearer ${accessToken}` }, ...(init.body !== undefined ? { body: init.body } : {}), timeoutMs: REQUEST_TIMEOUT_MS });
        this.noteUsage(response.headers.get('sforce-limit-info'));
        if (response.ok) return response;
        const errors = parseErrors(await response.text());
        if (response.status === 401 && !renewed) {
          // Salesforce's tokens carry no expiry: a 401 is how a client learns its session ended.
          renewed = true;
          await this.tokens.renew(accessToken);
          attempt--;
          continue;
        }
        throw errorOf(response, errors, path);
      } catch (error) {
        if (!(error instanceof SynclineError) || !error.retryable || attempt >= QUICK_RETRIES) throw error;
        const wait = error.retryAfterMs ?? 250 * 2 ** attempt;
        if (wait > QUICK_RETRY_MAX_WAIT_MS) throw error;
        await sleep(wait);
      }
    }
  }

  /** `Sforce-Limit-Info: api-usage=25/15000`. */
  private noteUsage(header: string | null): void {
    const match = header ? /api-usage=(\d+)\/(\d+)/.exec(header) : null;
    if (match) this.usage = { used: Number(match[1]), max: Number(match[2]) };
  }
}

function parseErrors(text: string): ApiError[] {
  try {
    const parsed: unknown = JSON.parse(text);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ errorCode: String(e.errorCode ?? e.error ?? 'UNKNOWN'), message: String(e.message ?? e.error_description ?? '') }));
  } catch {
    return [{ errorCode: 'UNKNOWN', message: text.slice(0, 200) }];
  }
}

/** Salesforce's query errors end with the reason after the caret lines; that is what a person needs. */
function reasonOf(error: ApiError): string {
  const lines = error.message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? error.errorCode;
}

function errorOf(response: Response, errors: ApiError[], path: string): Error {
  const status = response.status;
  const first = errors[0] ?? { errorCode: 'UNKNOWN', message: '' };
  const code = first.errorCode;
  const summary = `${code}: ${reasonOf(first)}`;
  if (code === 'INVALID_QUERY_LOCATOR') return new QueryLocatorExpired(summary);
  if (code === 'REQUEST_LIMIT_EXCEEDED' || status === 429) {
    return sourceUnavailable(SOURCE, `the org's API request limit is used up or too many requests are made (${status} ${summary}); retrying with backoff`, retryAfterMs(response.headers.get('retry-after')));
  }
  if (status >= 500) return sourceUnavailable(SOURCE, `server error (${status} ${summary})`, retryAfterMs(response.headers.get('retry-after')));
  if (status === 401) {
    return new SynclineError('SOURCE_AUTH_REJECTED', `Salesforce rejected a freshly renewed access token (401 ${summary}). Test the connection, and authorize it again if that fails.`, false);
  }
  if (code === 'INVALID_FIELD') {
    const missing = /No such column '([^']+)' on entity '([^']+)'/.exec(first.message);
    if (missing) return invalidConfiguration(`Salesforce has no field "${missing[1]}" on ${missing[2]} (INVALID_FIELD). Fix the job's mappings, lookups or filters; GET /v1/connections/:id/objects lists the fields.`);
    const field = /field '([^']+)'/.exec(first.message)?.[1];
    return invalidConfiguration(`Salesforce refused the query on field ${field ? `"${field}"` : 'of the job'} (${summary}). Fix the job's filters or mappings that use it.`);
  }
  if (code === 'INVALID_TYPE') {
    const object = /sObject type '([^']+)'/.exec(first.message)?.[1];
    return invalidConfiguration(`Salesforce has no object ${object ? `"${object}"` : 'of that name'} this user can query (INVALID_TYPE). Set the job's source object to one GET /v1/connections/:id/objects lists.`);
  }
  if (code === 'MALFORMED_QUERY') return invalidConfiguration(`Salesforce could not run the query built from the job (${summary}). Simplify the job's filters or report this query.`);
  if (status === 403) return sourceRequestRejected(SOURCE, `${path.split('?')[0]} is not allowed for this user (${status} ${summary}); check the integration user's profile and permission sets`);
  return sourceRequestRejected(SOURCE, `${path.split('?')[0]} answered ${status} ${summary}`);
}
