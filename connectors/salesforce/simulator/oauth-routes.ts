// Salesforce's OAuth 2.0 endpoints under /services/oauth2 (and the identity URL under /id), on the
// login hosts and on every My Domain: the authorize page of the web-server flow (with PKCE), the
// token endpoint (authorization_code, refresh_token and the JWT bearer grant), revoke and userinfo.
// The authorize page approves at once, as Salesforce does for a user who is logged in and has
// approved the app before; `denyConsent` makes it answer like a user who clicked Deny.
import type { IncomingMessage } from 'node:http';
import { importSPKI, importX509, jwtVerify, type CryptoKey } from 'jose';
import { challengeOf, signatureOf, type Grants } from './auth.js';
import type { SfFaults } from './faults.js';
import { json, oauthError, page, readForm, redirect, type SimResponse, SimHttpError, apiError } from './http.js';
import { PRODUCTION_LOGIN_HOST, SANDBOX_LOGIN_HOST, type Org, type OrgRegistry } from './orgs.js';
import type { SfStats } from './stats.js';

export interface OAuthContext {
  orgs: OrgRegistry;
  grants: Grants;
  faults: SfFaults;
  stats: SfStats;
  apiVersion: string;
}

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Salesforce refuses an assertion whose exp is more than three minutes ahead. */
const JWT_MAX_LIFETIME_S = 180;
const JWT_CLOCK_SKEW_S = 5;

export async function answerOAuth(context: OAuthContext, req: IncomingMessage, host: string, url: URL): Promise<SimResponse> {
  const path = url.pathname;
  if (req.method === 'GET' && path === '/services/oauth2/authorize') return authorize(context, host, url);
  if (req.method === 'POST' && path === '/services/oauth2/token') return token(context, host, await readForm(req));
  if (req.method === 'POST' && path === '/services/oauth2/revoke') return revoke(context, await readForm(req));
  if (req.method === 'GET' && path === '/services/oauth2/userinfo') return identity(context, req, host, 'userinfo');
  if (req.method === 'GET' && /^\/id\/00D[0-9A-Za-z]{15}\/005[0-9A-Za-z]{15}$/.test(path)) return identity(context, req, host, 'id');
  throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

function authorize(context: OAuthContext, host: string, url: URL): SimResponse {
  context.stats.recordAuthorize(host);
  const params = url.searchParams;
  const org = context.orgs.forLogin(host);
  if (!org) return page(404, 'Page not found', `${host} is not a login host of any org here.`);
  const { app } = context.grants;
  if (params.get('client_id') !== app.clientId) return page(400, 'error=invalid_client_id', 'client identifier invalid');
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!app.callbackUrls.includes(redirectUri)) return page(400, 'error=redirect_uri_mismatch', 'redirect_uri must match configuration');
  const back = new URL(redirectUri);
  const state = params.get('state');
  const answer = (values: Record<string, string>) => {
    for (const [name, value] of Object.entries(values)) back.searchParams.set(name, value);
    if (state !== null) back.searchParams.set('state', state);
    return redirect(back.toString());
  };
  if (params.get('response_type') !== 'code') return answer({ error: 'unsupported_response_type', error_description: 'response type not supported' });
  const challenge = params.get('code_challenge');
  if (challenge !== null && !/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) return answer({ error: 'invalid_request', error_description: 'invalid code challenge' });
  if (context.faults.denyConsent) return answer({ error: 'access_denied', error_description: 'end-user denied authorization' });
  return answer({ code: context.grants.issueCode(org, host, redirectUri, challenge) });
}

async function token(context: OAuthContext, host: string, form: URLSearchParams): Promise<SimResponse> {
  const grantType = form.get('grant_type') ?? '';
  context.stats.recordGrant(host, grantType);
  if (!context.orgs.forLogin(host)) throw oauthError('invalid_request', `${host} is not a login host`, 404);
  switch (grantType) {
    case 'authorization_code':
      return authorizationCodeGrant(context, host, form);
    case 'refresh_token':
      return refreshTokenGrant(context, host, form);
    case JWT_GRANT:
      return jwtBearerGrant(context, host, form);
    default:
      throw oauthError('unsupported_grant_type', 'grant type not supported');
  }
}

function checkClient(context: OAuthContext, form: URLSearchParams, secretRequired: boolean): void {
  const { app } = context.grants;
  if (form.get('client_id') !== app.clientId) throw oauthError('invalid_client_id', 'client identifier invalid');
  const secret = form.get('client_secret');
  if ((secretRequired || secret !== null) && secret !== app.clientSecret) throw oauthError('invalid_client', 'invalid client credentials');
}

function authorizationCodeGrant(context: OAuthContext, host: string, form: URLSearchParams): SimResponse {
  checkClient(context, form, true);
  const code = context.grants.takeCode(form.get('code') ?? '');
  if (!code || code.loginHost !== host) throw oauthError('invalid_grant', 'invalid authorization code');
  if (form.get('redirect_uri') !== code.redirectUri) throw oauthError('invalid_grant', 'redirect_uri must match configuration');
  const verifier = form.get('code_verifier');
  if (code.challenge !== null) {
    if (verifier === null) throw oauthError('invalid_grant', 'invalid code verifier');
    if (challengeOf(verifier) !== code.challenge) throw oauthError('invalid_request', 'invalid code verifier');
  }
  const refreshToken = context.grants.issueRefreshToken(code.org, host);
  return json(200, { ...tokenAnswer(context, code.org, host, refreshToken), refresh_token: refreshToken });
}

function refreshTokenGrant(context: OAuthContext, host: string, form: URLSearchParams): SimResponse {
  checkClient(context, form, false);
  const refreshToken = form.get('refresh_token') ?? '';
  const grant = context.grants.refreshGrant(refreshToken);
  // A refresh token works at the login host that issued it and at its org's My Domain.
  if (!grant || (host !== grant.loginHost && host !== grant.org.host)) throw oauthError('invalid_grant', 'expired access/refresh token');
  return json(200, tokenAnswer(context, grant.org, grant.loginHost, refreshToken));
}

function tokenAnswer(context: OAuthContext, org: Org, loginHost: string, refreshToken: string) {
  const id = org.identityUrl(loginHost);
  const issuedAt = String(Date.now());
  return {
    access_token: context.grants.issueAccessToken(org, loginHost, refreshToken),
    signature: signatureOf(id, issuedAt, context.grants.app.clientSecret),
    scope: 'refresh_token api',
    instance_url: org.instanceUrl,
    id,
    token_type: 'Bearer',
    issued_at: issuedAt,
  };
}

async function jwtBearerGrant(context: OAuthContext, host: string, form: URLSearchParams): Promise<SimResponse> {
  const assertion = form.get('assertion') ?? '';
  const pem = context.grants.app.jwtPublicKey;
  if (!pem) throw oauthError('invalid_grant', 'invalid assertion');
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(assertion, await publicKeyOf(pem), { algorithms: ['RS256'] }));
  } catch {
    throw oauthError('invalid_grant', 'invalid assertion');
  }
  if (claims.iss !== context.grants.app.clientId) throw oauthError('invalid_client_id', 'client identifier invalid');
  if (claims.aud !== `https://${host}` && !(Array.isArray(claims.aud) && claims.aud.includes(`https://${host}`))) throw oauthError('invalid_grant', 'audience is invalid');
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp > now + JWT_MAX_LIFETIME_S + JWT_CLOCK_SKEW_S) throw oauthError('invalid_grant', 'invalid assertion: exp must be within 3 minutes');
  const candidates = host === PRODUCTION_LOGIN_HOST ? context.orgs.orgs.filter((o) => !o.sandbox) : host === SANDBOX_LOGIN_HOST ? context.orgs.orgs.filter((o) => o.sandbox) : [context.orgs.forInstance(host)];
  const org = candidates.find((o) => o?.username === claims.sub);
  if (!org) throw oauthError('invalid_grant', 'user hasn\'t approved this consumer');
  if (!context.faults.jwtApproved) throw oauthError('invalid_grant', 'user hasn\'t approved this consumer');
  return json(200, { access_token: context.grants.issueAccessToken(org, host, null), scope: 'api', instance_url: org.instanceUrl, id: org.identityUrl(host), token_type: 'Bearer' });
}

const keys = new Map<string, CryptoKey>();

async function publicKeyOf(pem: string): Promise<CryptoKey> {
  let key = keys.get(pem);
  if (!key) {
    key = pem.includes('BEGIN CERTIFICATE') ? await importX509(pem, 'RS256') : await importSPKI(pem, 'RS256');
    keys.set(pem, key);
  }
  return key;
}

function revoke(context: OAuthContext, form: URLSearchParams): SimResponse {
  if (!context.grants.revoke(form.get('token') ?? '')) throw oauthError('unsupported_token_type', 'this token type is not supported');
  return { status: 200, body: '', headers: {} };
}

function identity(context: OAuthContext, req: IncomingMessage, host: string, kind: 'userinfo' | 'id'): SimResponse {
  const token = bearerOf(req);
  const grant = token === null ? undefined : context.grants.accessGrant(token);
  if (!grant || (host !== grant.org.host && host !== grant.loginHost)) throw new SimHttpError(json(403, kind === 'id' ? 'Bad_OAuth_Token' : { error: 'invalid_token' }));
  const { org } = grant;
  const id = org.identityUrl(grant.loginHost);
  const urls = { rest: `${org.instanceUrl}/services/data/v${context.apiVersion}/`, query: `${org.instanceUrl}/services/data/v${context.apiVersion}/query/` };
  if (kind === 'id') {
    return json(200, { id, asserted_user: true, user_id: org.userId, organization_id: org.id, username: org.username, nick_name: org.username.split('@')[0], display_name: 'Integration User', email: org.username, status: { created_date: null, body: null }, is_active: true, user_type: 'STANDARD', urls });
  }
  return json(200, { sub: id, user_id: org.userId, organization_id: org.id, preferred_username: org.username, nickname: org.username.split('@')[0], name: 'Integration User', email: org.username, email_verified: true, zoneinfo: 'GMT', active: true, user_type: 'STANDARD', urls });
}

/** `Authorization: Bearer <token>`, or the older `OAuth <token>`. */
export function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? '';
  const match = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}
