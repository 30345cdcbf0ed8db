// The connected app and the OAuth grants it has handed out: authorization codes (single use,
// 15 minutes, bound to the redirect URI and a PKCE challenge), refresh tokens (until revoked) and
// access tokens (until revoked or their session times out: `accessTokenTtlMs`). Salesforce's token
// answers carry no expiry, so a client learns of one only from a 401 INVALID_SESSION_ID.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Org } from './orgs.js';

export interface ConnectedAppOptions {
  clientId: string;
  clientSecret: string;
  /** Exact callback URLs; a redirect_uri must equal one of them. */
  callbackUrls: readonly string[];
  /** PEM of the certificate or public key uploaded for the JWT bearer flow ("Use digital signatures"). */
  jwtPublicKey?: string;
}

interface Code {
  org: Org;
  loginHost: string;
  redirectUri: string;
  challenge: string | null;
  expiresAt: number;
}

interface RefreshGrant {
  org: Org;
  loginHost: string;
  revoked: boolean;
}

interface AccessGrant {
  org: Org;
  loginHost: string;
  refreshToken: string | null;
  expiresAt: number;
  revoked: boolean;
}

const CODE_TTL_MS = 15 * 60_000;
export const DEFAULT_ACCESS_TOKEN_TTL_MS = 2 * 3600_000;

export class Grants {
  private readonly codes = new Map<string, Code>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly accessTokens = new Map<string, AccessGrant>();
  accessTokenTtlMs: number;

  constructor(readonly app: ConnectedAppOptions, accessTokenTtlMs = DEFAULT_ACCESS_TOKEN_TTL_MS) {
    this.accessTokenTtlMs = accessTokenTtlMs;
  }

  issueCode(org: Org, loginHost: string, redirectUri: string, challenge: string | null, now = Date.now()): string {
    const code = `aPrx${randomBytes(36).toString('base64url')}`;
    this.codes.set(code, { org, loginHost, redirectUri, challenge, expiresAt: now + CODE_TTL_MS });
    return code;
  }

  /** Single use: a code is gone once presented, whether the exchange succeeds or not. */
  takeCode(code: string, now = Date.now()): Code | undefined {
    const found = this.codes.get(code);
    this.codes.delete(code);
    return found && found.expiresAt > now ? found : undefined;
  }

  issueRefreshToken(org: Org, loginHost: string): string {
    const token = `5Aep861${randomBytes(48).toString('base64url')}`;
    this.refreshTokens.set(token, { org, loginHost, revoked: false });
    return token;
  }

  refreshGrant(token: string): RefreshGrant | undefined {
    const grant = this.refreshTokens.get(token);
    return grant && !grant.revoked ? grant : undefined;
  }

  issueAccessToken(org: Org, loginHost: string, refreshToken: string | null, now = Date.now()): string {
    const token = `${org.id}!${randomBytes(72).toString('base64url')}`;
    this.accessTokens.set(token, { org, loginHost, refreshToken, expiresAt: now + this.accessTokenTtlMs, revoked: false });
    return token;
  }

  /** The grant behind a live access token. */
  accessGrant(token: string, now = Date.now()): AccessGrant | undefined {
    const grant = this.accessTokens.get(token);
    return grant && !grant.revoked && grant.expiresAt > now ? grant : undefined;
  }

  /** Revoking a refresh token revokes the access tokens issued from it, as Salesforce does. */
  revoke(token: string): boolean {
    const refresh = this.refreshTokens.get(token);
    if (refresh) {
      refresh.revoked = true;
      for (const access of this.accessTokens.values()) if (access.refreshToken === token) access.revoked = true;
      return true;
    }
    const access = this.accessTokens.get(token);
    if (access) {
      access.revoked = true;
      return true;
    }
    return false;
  }

  /** An admin revoking the app's access in an org (Setup > Connected Apps OAuth Usage), or in every org. */
  revokeAll(orgId?: string): number {
    let revoked = 0;
    for (const [token, grant] of this.refreshTokens) {
      if (!grant.revoked && (orgId === undefined || grant.org.id === orgId)) {
        this.revoke(token);
        revoked++;
      }
    }
    for (const grant of this.accessTokens.values()) if (orgId === undefined || grant.org.id === orgId) grant.revoked = true;
    return revoked;
  }

  /** Every access token times out now: the next API call of every client answers 401. */
  expireAccessTokens(): number {
    let expired = 0;
    for (const grant of this.accessTokens.values()) {
      if (!grant.revoked && grant.expiresAt > 0) {
        grant.expiresAt = 0;
        expired++;
      }
    }
    return expired;
  }

  expire(token: string): void {
    const grant = this.accessTokens.get(token);
    if (grant) grant.expiresAt = 0;
  }

  liveRefreshTokens(): number {
    return [...this.refreshTokens.values()].filter((g) => !g.revoked).length;
  }
}

/** PKCE S256: the challenge is base64url(SHA-256(verifier)). */
export function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** The token answer's `signature`: HMAC-SHA256 of id + issued_at keyed with the consumer secret, base64. */
export function signatureOf(id: string, issuedAt: string, clientSecret: string): string {
  return createHmac('sha256', clientSecret).update(id + issuedAt).digest('base64');
}
