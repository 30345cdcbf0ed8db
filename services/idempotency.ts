// `Idempotency-Key` on the requests that start runs: a client that sends a request again, because
// it never saw the answer, gets the first answer back instead of a second run. Keys belong to the
// token's owner and last a day; the same key with a different request is refused.
import { createHash } from 'node:crypto';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';
import { badRequest, unprocessable } from '../api/errors.js';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const KEY_LIFETIME = sql`interval '24 hours'`;

export interface IdempotentRequest {
  actor: string;
  key: string;
  fingerprint: string;
}

/** The request's key, checked; null when it has none. */
function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | null {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0]! : raw;
  if (!KEY_PATTERN.test(key)) {
    throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID', [{ path: 'headers/idempotency-key', message: 'must be 1 to 255 visible ASCII characters' }]);
  }
  return key;
}

/** Set on an answer given again to a repeated request. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * The keyed form of a request, or null when it has no key. `parts` say what was asked (ids, body);
 * with the route they identify the request, so a key reused for another one is refused.
 */
export function keyedRequest(request: { headers: Record<string, string | string[] | undefined>; actor: { name: string }; routeOptions: { url?: string } }, ...parts: unknown[]): IdempotentRequest | null {
  const key = idempotencyKeyOf(request.headers);
  if (key === null) return null;
  const fingerprint = createHash('sha256').update(JSON.stringify([request.routeOptions.url, ...parts])).digest('hex');
  return { actor: request.actor.name, key, fingerprint };
}

/** Temporal's update id for a keyed trigger: concurrent copies of one request join one run. */
export function updateIdOf(request: IdempotentRequest): string {
  return `idempotency:${createHash('sha256').update(JSON.stringify([request.actor, request.key])).digest('hex')}`;
}

/** The answer already given to this key, if any; 422 when the key was used for another request. */
export async function storedAnswer<T>(db: Db, request: IdempotentRequest): Promise<T | null> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.actor, request.actor), eq(idempotencyKeys.key, request.key), gt(idempotencyKeys.createdAt, sql`now() - ${KEY_LIFETIME}`)));
  if (!row) return null;
  if (row.fingerprint !== request.fingerprint) {
    throw unprocessable('idempotency_key_reused', `The Idempotency-Key "${request.key}" was used for a different request in the last 24 hours; send a new key for a new request.`, [
      { path: 'headers/idempotency-key', message: 'already used for a different request' },
    ]);
  }
  return row.answer as T;
}

export async function storeAnswer(db: Db, request: IdempotentRequest, answer: object): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, sql`now() - ${KEY_LIFETIME}`));
  await db
    .insert(idempotencyKeys)
    .values({ actor: request.actor, key: request.key, fingerprint: request.fingerprint, answer: answer as Record<string, unknown> })
    .onConflictDoUpdate({ target: [idempotencyKeys.actor, idempotencyKeys.key], set: { fingerprint: request.fingerprint, answer: answer as Record<string, unknown>, createdAt: new Date() } });
}

/**
 * Gives the answer stored for a keyed request, or produces one (with the Temporal update id the
 * key maps to) and stores it. Without a key, simply produces.
 */
export async function idempotent<T extends object>(db: Db, keyed: IdempotentRequest | null, produce: (updateId?: string) => Promise<T>): Promise<{ answer: T; replayed: boolean }> {
  if (!keyed) return { answer: await produce(), replayed: false };
  const stored = await storedAnswer<T>(db, keyed);
  if (stored) return { answer: stored, replayed: true };
  const answer = await produce(updateIdOf(keyed));
  await storeAnswer(db, keyed, answer);
  return { answer, replayed: false };
}
