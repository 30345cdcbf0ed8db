// Signing in to the console with an API token. The token is checked once, at log-in; the browser
// then holds a session cookie (HttpOnly, SameSite=Strict, signed with a key derived from
// SECRET_KEY, expiring) that names the token's owner and a fingerprint of the token, never the
// token. A token removed from API_TOKENS, or replaced, ends its sessions at their next request.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiToken, Role } from '../../config.js';

export const SESSION_COOKIE = 'syncline_console';
/** A working day: a session left open longer signs in again. */
export const SESSION_SECONDS = 8 * 60 * 60;
const COOKIE_PATH = '/console';

export interface Session {
  name: string;
  role: Role;
  /** The token's email, when API_TOKENS gives one (new jobs notify it). */
  email: string | null;
  /** Seconds since the epoch. */
  expires: number;
}

interface SessionClaims {
  /** The token's owner. */
  n: string;
  /** The token's fingerprint under the session key. */
  f: string;
  e: number;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export class Sessions {
  constructor(
    private readonly tokens: ApiToken[],
    /** Derived from SECRET_KEY for this purpose alone (SecretBox.derive). */
    private readonly key: Buffer,
    private readonly secure: boolean,
  ) {}

  private fingerprint(token: string): string {
    return createHmac('sha256', this.key).update(token, 'utf8').digest('base64url').slice(0, 22);
  }

  /** Signs the person in: a session cookie for the token's owner. */
  start(reply: FastifyReply, token: ApiToken, now = Date.now()): void {
    const claims: SessionClaims = { n: token.name, f: this.fingerprint(token.token), e: Math.floor(now / 1000) + SESSION_SECONDS };
    reply.setCookie(SESSION_COOKIE, Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url'), {
      path: COOKIE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: this.secure,
      signed: true,
      maxAge: SESSION_SECONDS,
    });
  }

  end(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: this.secure });
  }

  /** The session the request carries, if its cookie is signed by us, unexpired, and its token still valid. */
  read(request: FastifyRequest, now = Date.now()): Session | null {
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw || raw.length > 1024) return null;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || unsigned.value === null) return null;
    let claims: Partial<SessionClaims>;
    try {
      claims = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')) as Partial<SessionClaims>;
    } catch (error) {
      // Signed by us, so never malformed unless the key was reused elsewhere: treat as signed out.
      if (error instanceof SyntaxError) return null;
      throw error;
    }
    if (typeof claims.n !== 'string' || typeof claims.f !== 'string' || typeof claims.e !== 'number' || claims.e * 1000 <= now) return null;
    const token = this.tokens.find((t) => t.name === claims.n && timingSafeEqual(digest(this.fingerprint(t.token)), digest(claims.f!)));
    return token ? { name: token.name, role: token.role, email: token.email ?? null, expires: claims.e } : null;
  }
}

/**
 * Cross-site request forgery: besides SameSite=Strict, a console form is accepted only when the
 * browser says it was sent from a page of this console (Origin, or Referer where a browser sends
 * no Origin). `origins` are the console's own: PUBLIC_URL's and the host the request names.
 */
export function sentFromConsole(request: FastifyRequest, publicUrl: string): boolean {
  const allowed = new Set([new URL(publicUrl).origin, `${request.protocol}://${request.host}`]);
  const origin = request.headers.origin;
  if (origin && origin !== 'null') return allowed.has(origin);
  const referer = request.headers.referer;
  if (!referer) return false;
  try {
    return allowed.has(new URL(referer).origin);
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}
