// Authorizing a connection whose connector asks for it (OAuth CRMs): the browser round trip of the
// web-server flow with a state bound to the connection and a PKCE verifier that never leaves the
// server, the server-only flow, and the grant's life afterwards (renewed tokens stored sealed, a
// refused grant sending the connection back to needs_authorization). Connector-neutral: the
// connector says how to talk to its source, this module keeps the secrets and the state.
import { createHash, randomBytes } from 'node:crypto';
import { desc, eq, inArray, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { connections, oauthStates, sourceObjectCache, type ConnectionRow } from '../db/schema.js';
import { findConnector } from '../connectors/registry.js';
import type { AuthorizationGrant, Connector, ConnectorAuthorization, GrantKeeper } from '../connectors/types.js';
import { SynclineError } from '../sync/errors.js';
import { ApiError, badRequest, conflict } from '../api/errors.js';
import { recordAudit } from './audit.js';
import { initialStatusOf, setConnectionStatus } from './connections.js';
import type { SecretBox } from './secrets.js';
import type { Outbound } from './outbound.js';

/** Long enough to log in and approve; short enough that a leaked link is soon worthless. */
export const STATE_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = '/v1/oauth/callback';
/** Authorization links a connection may have open at once; older ones stop working. */
const MAX_PENDING_PER_CONNECTION = 5;

export type AuthorizationStart =
  | { mode: 'redirect'; authorizationUrl: string; redirectUri: string; expiresAt: string }
  | { mode: 'direct'; status: string; authorization: Record<string, string | null> };

const hashOf = (state: string) => createHash('sha256').update(state).digest('hex');

function authorizationOf(row: ConnectionRow): { connector: Connector; authorization: ConnectorAuthorization } {
  const connector = findConnector(row.connector);
  if (!connector?.authorization) {
    throw conflict('authorization_not_supported', `${connector?.name ?? row.connector} connections are not authorized through Syncline; set their credentials in config instead.`);
  }
  return { connector, authorization: connector.authorization };
}

function settingsOf(box: SecretBox, row: ConnectionRow) {
  return { config: row.config, secrets: box.open(row.secrets), grant: grantOf(box, row) };
}

export function grantOf(box: SecretBox, row: ConnectionRow): AuthorizationGrant | null {
  return row.credentials ? { credentials: box.open(row.credentials), details: row.authorization ?? {} } : null;
}

/** The source's refusal while a person is authorizing is theirs to fix: 400 with its words, never a 500. */
function asApiError(error: unknown): unknown {
  if (!(error instanceof SynclineError)) return error;
  if (error.retryable) return new ApiError(503, 'source_unavailable', `${error.message} Try again shortly.`);
  return new ApiError(400, 'authorization_failed', error.message);
}

/**
 * `redirect`: a state and a PKCE verifier are stored (the state hashed, the verifier sealed) and the
 * source's authorization URL handed back for a browser. `direct`: the server authorizes at once.
 */
export async function beginAuthorization(db: Db, box: SecretBox, outbound: Outbound, actor: string, row: ConnectionRow, publicUrl: string): Promise<AuthorizationStart> {
  const { authorization } = authorizationOf(row);
  const settings = settingsOf(box, row);
  if (authorization.mode(row.config) === 'direct') {
    let grant: AuthorizationGrant;
    try {
      grant = await authorization.authorizeDirectly(settings, outbound);
    } catch (error) {
      throw asApiError(error);
    }
    await storeGrant(db, box, outbound, row.id, grant, actor);
    return { mode: 'direct', status: 'active', authorization: grant.details };
  }
  const state = randomBytes(32).toString('base64url');
  const verifier = randomBytes(48).toString('base64url');
  const codeChallenge = createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = `${publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH}`;
  const expiresAt = new Date(Date.now() + STATE_TTL_MS);
  let authorizationUrl: string;
  try {
    authorizationUrl = authorization.authorizationUrl(settings, { redirectUri, state, codeChallenge });
  } catch (error) {
    throw asApiError(error);
  }
  await db.delete(oauthStates).where(lt(oauthStates.expiresAt, new Date()));
  await db.insert(oauthStates).values({ stateHash: hashOf(state), connectionId: row.id, verifier: box.seal({ verifier }), redirectUri, actor, expiresAt });
  // However often authorize is asked for, a connection keeps a few pending links, the newest.
  const pending = await db.select({ stateHash: oauthStates.stateHash }).from(oauthStates).where(eq(oauthStates.connectionId, row.id)).orderBy(desc(oauthStates.createdAt), desc(oauthStates.expiresAt));
  const stale = pending.slice(MAX_PENDING_PER_CONNECTION).map((p) => p.stateHash);
  if (stale.length > 0) await db.delete(oauthStates).where(inArray(oauthStates.stateHash, stale));
  return { mode: 'redirect', authorizationUrl, redirectUri, expiresAt: expiresAt.toISOString() };
}

/**
 * The browser's return: the state is looked up by its hash and deleted in the same statement (used
 * once, whatever happens next), must not have expired, and names the connection; the code is then
 * exchanged with the verifier stored for that state.
 */
export async function completeAuthorization(
  db: Db,
  box: SecretBox,
  outbound: Outbound,
  params: { state: string; code?: string | undefined; error?: string | undefined; errorDescription?: string | undefined },
): Promise<ConnectionRow> {
  const [pending] = await db.delete(oauthStates).where(eq(oauthStates.stateHash, hashOf(params.state))).returning();
  if (!pending) {
    throw badRequest('This authorization link is unknown or was already used. Start again with POST /v1/connections/:id/authorize.', [{ path: 'querystring/state', message: 'unknown or already used' }]);
  }
  if (pending.expiresAt.getTime() <= Date.now()) {
    throw badRequest(`This authorization link expired (links last ${STATE_TTL_MS / 60_000} minutes). Start again with POST /v1/connections/${pending.connectionId}/authorize.`, [{ path: 'querystring/state', message: 'expired' }]);
  }
  const [row] = await db.select().from(connections).where(eq(connections.id, pending.connectionId));
  if (!row) throw badRequest('The connection this authorization was for no longer exists.', [{ path: 'querystring/state', message: 'connection deleted' }]);
  const { connector, authorization } = authorizationOf(row);
  if (params.error !== undefined) {
    const reason = `${connector.name} did not authorize the connection (${params.error}${params.errorDescription ? `: ${params.errorDescription}` : ''}).`;
    await recordAudit(db, pending.actor, { type: 'connection', id: row.id, name: row.name, connector: row.connector, connectionId: row.id }, { authorization: 'requested' }, { authorization: 'refused' }, reason);
    throw new ApiError(400, 'authorization_denied', `${reason} Start again with POST /v1/connections/${row.id}/authorize.`, [{ path: 'querystring/error', message: params.error }]);
  }
  if (!params.code) throw badRequest('The callback carries no authorization code.', [{ path: 'querystring/code', message: 'required' }]);
  let grant: AuthorizationGrant;
  try {
    const { verifier } = box.open(pending.verifier);
    grant = await authorization.exchangeCode(settingsOf(box, row), { code: params.code, redirectUri: pending.redirectUri, codeVerifier: verifier! }, outbound);
  } catch (error) {
    throw asApiError(error);
  }
  await storeGrant(db, box, outbound, row.id, grant, pending.actor);
  const [after] = await db.select().from(connections).where(eq(connections.id, row.id));
  return after!;
}

/**
 * Seals and stores a new grant, shows its details, marks the connection active, and asks the
 * source to forget the grant it replaces.
 */
export async function storeGrant(db: Db, box: SecretBox, outbound: Outbound, connectionId: string, grant: AuthorizationGrant, actor: string): Promise<void> {
  const details = { ...grant.details, authorizedAt: new Date().toISOString(), authorizedBy: actor };
  const [before] = await db.select().from(connections).where(eq(connections.id, connectionId));
  if (!before) return;
  await db.update(connections).set({ credentials: box.seal(grant.credentials), authorization: details, updatedAt: new Date() }).where(eq(connections.id, connectionId));
  await db.delete(sourceObjectCache).where(eq(sourceObjectCache.connectionId, connectionId));
  await recordAudit(db, actor, { type: 'connection', id: connectionId, name: before.name, connector: before.connector, connectionId }, { authorization: before.authorization ?? null }, { authorization: details }, 'authorized');
  await setConnectionStatus(db, connectionId, 'active', null, actor);
  const replaced = grantOf(box, before);
  if (replaced && replaced.credentials.refreshToken !== grant.credentials.refreshToken) await revokeQuietly(box, outbound, before, replaced);
}

/** Forgets the grant a settings change voided (another org, another app): the connection starts over. */
export async function resetAuthorization(db: Db, box: SecretBox, outbound: Outbound, before: ConnectionRow, after: ConnectionRow, actor: string): Promise<void> {
  const connector = findConnector(after.connector);
  const authorization = connector?.authorization;
  if (!connector || !authorization) return;
  const changed = authorization.resetOn.filter((name) => JSON.stringify(before.config[name] ?? null) !== JSON.stringify(after.config[name] ?? null));
  if (changed.length === 0) return;
  const grant = grantOf(box, before);
  await db.update(connections).set({ credentials: null, authorization: null }).where(eq(connections.id, after.id));
  await db.delete(sourceObjectCache).where(eq(sourceObjectCache.connectionId, after.id));
  const status = initialStatusOf(connector, after.config);
  await setConnectionStatus(db, after.id, status, status === 'needs_authorization' ? `${changed.join(', ')} changed: authorize the connection again (POST /v1/connections/${after.id}/authorize).` : null, actor);
  if (grant) await revokeQuietly(box, outbound, before, grant);
}

/** Deleting a connection lets go of its grant at the source too, when it can. */
export async function revokeGrantOf(box: SecretBox, outbound: Outbound, row: ConnectionRow): Promise<void> {
  const grant = grantOf(box, row);
  if (grant) await revokeQuietly(box, outbound, row, grant);
}

async function revokeQuietly(box: SecretBox, outbound: Outbound, row: ConnectionRow, grant: AuthorizationGrant): Promise<void> {
  const authorization = findConnector(row.connector)?.authorization;
  try {
    await authorization?.revoke({ config: row.config, secrets: box.open(row.secrets) }, grant, outbound);
  } catch (error) {
    // Best effort: the grant is forgotten here whatever the source says, and expires there in time.
    console.warn(`could not ask ${row.connector} to revoke the grant of connection ${row.id}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What a session uses to keep its connection's grant current. */
export function grantKeeper(db: Db, box: SecretBox, outbound: Outbound, connectionId: string): GrantKeeper {
  return {
    connectionId,
    async renewed(credentials) {
      // Merged into what is stored: a concurrent re-authorization's refresh token is never lost.
      await db.transaction(async (tx) => {
        const [row] = await tx.select({ credentials: connections.credentials }).from(connections).where(eq(connections.id, connectionId)).for('update');
        if (!row?.credentials) return;
        await tx.update(connections).set({ credentials: box.seal({ ...box.open(row.credentials), ...credentials }) }).where(eq(connections.id, connectionId));
      });
    },
    async granted(grant) {
      const [row] = await db.select({ status: connections.status, authorization: connections.authorization }).from(connections).where(eq(connections.id, connectionId));
      if (!row) return;
      if (row.status === 'active' && row.authorization?.instanceUrl === grant.details.instanceUrl) {
        await db.update(connections).set({ credentials: box.seal(grant.credentials) }).where(eq(connections.id, connectionId));
        return;
      }
      await storeGrant(db, box, outbound, connectionId, grant, 'system');
    },
    async lost(reason) {
      await db.update(connections).set({ credentials: null }).where(eq(connections.id, connectionId));
      await setConnectionStatus(db, connectionId, 'needs_authorization', reason);
    },
  };
}
