// Salesforce's OAuth 2.0 endpoints as a client sees them: the authorize URL of the web-server flow
// with PKCE, the token endpoint's authorization_code, refresh_token and JWT bearer grants, and
// revoke. A refresh token Salesforce no longer honours (invalid_grant) is a GrantRefused: the
// connection must be authorized again, which no retry can fix.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { invalidConfiguration, SynclineError, sourceRequestRejected, sourceUnavailable } from '../../sync/errors.js';
import { instanceOriginOf } from './hosts.js';
import { addressOf, send, SOURCE } from './http.js';
import { retryAfterMs } from '../retry-after.js';
import type { Outbound } from '../../services/outbound.js';

const TOKEN_TIMEOUT_MS = 30_000;
/** Salesforce refuses assertions that expire more than three minutes ahead. */
const JWT_LIFETIME_S = 150;
const SCOPES = 'api refresh_token';

export interface ConnectedApp {
  clientId: string;
  clientSecret: string | undefined;
  /** JWT bearer flow: the integration user's username (`sub`) and the key whose certificate the app holds. */
  username?: string | undefined;
  privateKey?: string | undefined;
}

export interface TokenAnswer {
  accessToken: string;
  refreshToken: string | null;
  /** The origin of the org's instance, e.g. https://acme.my.salesforce.com. */
  instanceUrl: string;
  orgId: string;
  userId: string;
}

/** Salesforce said no to the grant itself (revoked, expired, never approved): a person must act. */
export class GrantRefused extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

export class SalesforceOAuth {
  constructor(
    /** Where the connection's users log in: login.salesforce.com, test.salesforce.com or a My Domain. */
    readonly loginHost: string,
    private readonly app: ConnectedApp,
    private readonly outbound: Outbound,
  ) {}

  authorizationUrl(request: { redirectUri: string; state: string; codeChallenge: string }): string {
    const url = new URL(`https://${this.loginHost}/services/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.app.clientId,
      redirect_uri: request.redirectUri,
      state: request.state,
      code_challenge: request.codeChallenge,
      scope: SCOPES,
    }).toString();
    // A browser opens it: with the simulator standing in for Salesforce, the simulator's address.
    return addressOf(url);
  }

  exchangeCode(request: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenAnswer> {
    return this.token({
      grant_type: 'authorization_code',
      code: request.code,
      redirect_uri: request.redirectUri,
      code_verifier: request.codeVerifier,
      client_id: this.app.clientId,
      client_secret: this.requireSecret(),
    });
  }

  refresh(refreshToken: string): Promise<TokenAnswer> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: this.app.clientId, client_secret: this.requireSecret() });
  }

  async jwtBearer(): Promise<TokenAnswer> {
    const { username, privateKey } = this.app;
    if (!username) throw invalidConfiguration('The Salesforce connection uses the JWT bearer flow but has no username: set config.username to the integration user\'s Salesforce username.');
    if (!privateKey) throw invalidConfiguration('The Salesforce connection uses the JWT bearer flow but has no private key: set config.privateKey to the PEM key whose certificate the connected app holds.');
    let key;
    try {
      key = await importPKCS8(privateKey, 'RS256');
    } catch {
      throw invalidConfiguration('The Salesforce connection\'s privateKey is not an RSA private key in PEM (PKCS #8, "-----BEGIN PRIVATE KEY-----"); convert it with `openssl pkcs8 -topk8 -nocrypt`.');
    }
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(this.app.clientId)
      .setSubject(username)
      .setAudience(`https://${this.loginHost}`)
      .setExpirationTime(now + JWT_LIFETIME_S)
      .sign(key);
    return this.token({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  }

  /** Who the token acts as, for a person reading the connection; null when Salesforce does not say. */
  async username(answer: TokenAnswer): Promise<string | null> {
    try {
      const response = await send(this.outbound, { method: 'GET', url: `${answer.instanceUrl}/services/oauth2/userinfo`, headers: { authorization: `Bearer ${answer.accessToken}`, accept: 'application/json' }, timeoutMs: TOKEN_TIMEOUT_MS });
      const body = response.ok ? parseJson(await response.text()) : null;
      return typeof body?.preferred_username === 'string' ? body.preferred_username : null;
    } catch {
      // Only a nicety: the grant stands without it.
      return null;
    }
  }

  /** Best effort: the token is useless to anyone once the connection lets go of it. */
  async revoke(token: string): Promise<void> {
    const response = await send(this.outbound, {
      method: 'POST',
      url: `https://${this.loginHost}/services/oauth2/revoke`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      timeoutMs: TOKEN_TIMEOUT_MS,
    });
    await response.body?.cancel();
  }

  private requireSecret(): string {
    if (!this.app.clientSecret) throw invalidConfiguration('The Salesforce connection has no client secret: set config.clientSecret to the connected app\'s consumer secret.');
    return this.app.clientSecret;
  }

  private async token(form: Record<string, string>): Promise<TokenAnswer> {
    const response = await send(this.outbound, {
      method: 'POST',
      url: `https://${this.loginHost}/services/oauth2/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      timeoutMs: TOKEN_TIMEOUT_MS,
    });
    const text = await response.text();
    const body = parseJson(text);
    if (response.ok) return this.answer(body);
    const error = typeof body?.error === 'string' ? body.error : null;
    const description = typeof body?.error_description === 'string' ? body.error_description : text.slice(0, 200);
    if (response.status === 429 || response.status >= 500) {
      throw sourceUnavailable(SOURCE, `the token endpoint of ${this.loginHost} answered ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
    }
    if (error === 'invalid_grant') throw new GrantRefused(`${error}: ${description}`);
    if (error === 'invalid_client_id' || error === 'invalid_client') {
      throw new SynclineError(
        'SOURCE_AUTH_REJECTED',
        `Salesforce (${this.loginHost}) rejected the connected app's ${error === 'invalid_client_id' ? 'client id' : 'client id and secret'} (${error}: ${description}). Check config.clientId and config.clientSecret against the connected app, and the org type or custom domain.`,
        false,
      );
    }
    throw sourceRequestRejected(SOURCE, `the token endpoint of ${this.loginHost} answered ${response.status}${error ? ` ${error}: ${description}` : ''}`);
  }

  private answer(body: Record<string, unknown> | null): TokenAnswer {
    const accessToken = body?.access_token;
    const instanceUrl = instanceOriginOf(body?.instance_url);
    const identity = typeof body?.id === 'string' ? /\/id\/(00D[0-9A-Za-z]{12,15})\/(005[0-9A-Za-z]{12,15})$/.exec(body.id) : null;
    if (typeof accessToken !== 'string' || accessToken === '' || !identity) {
      throw sourceUnavailable(SOURCE, `the token endpoint of ${this.loginHost} answered without an access token and identity`);
    }
    if (!instanceUrl) throw sourceRequestRejected(SOURCE, `the token endpoint named an instance that is not an https Salesforce host (${String(body?.instance_url).slice(0, 100)})`);
    // Token answers of the web-server and refresh flows are signed with the consumer secret.
    if (typeof body?.signature === 'string' && this.app.clientSecret && !validSignature(String(body.id), String(body.issued_at ?? ''), body.signature, this.app.clientSecret)) {
      throw sourceRequestRejected(SOURCE, `the token answer from ${this.loginHost} carries a signature that does not match the connected app's secret`);
    }
    return {
      accessToken,
      refreshToken: typeof body?.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null,
      instanceUrl,
      orgId: identity[1]!,
      userId: identity[2]!,
    };
  }
}

function validSignature(id: string, issuedAt: string, signature: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(id + issuedAt).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
