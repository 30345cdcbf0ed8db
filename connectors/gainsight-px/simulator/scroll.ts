// Scroll ids are stateless: they carry the position and a hash of the query they belong to, so a
// client can replay one (after a crash, say) and get the same page, and a server restart loses
// nothing. The position is the next record index in index order, or the next offset in a sorted
// listing; totalHits is fixed on the first page, as in an Elasticsearch scroll.
import { badRequest } from './http-error.js';

export interface ScrollPosition {
  next: number;
  totalHits: number;
}

interface ScrollToken {
  v: 1;
  q: string;
  n: number;
  t: number;
}

/** FNV-1a over the parts of the query that decide which records come back and in what order. */
export function queryHash(path: string, filters: readonly string[], sort: string | undefined): string {
  const text = JSON.stringify([path, filters, sort ?? null]);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

export function encodeScrollId(hash: string, position: ScrollPosition): string {
  const token: ScrollToken = { v: 1, q: hash, n: position.next, t: position.totalHits };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeScrollId(scrollId: string, hash: string): ScrollPosition {
  const token = parseToken(scrollId);
  if (token === undefined) throw badRequest('Invalid scrollId');
  if (token.q !== hash) throw badRequest('scrollId does not belong to this query (filter and sort must not change while scrolling)');
  return { next: token.n, totalHits: token.t };
}

function parseToken(scrollId: string): ScrollToken | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(scrollId, 'base64url').toString('utf8'));
  } catch {
    // Not JSON inside: the caller answers 400 for any unreadable scrollId.
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { v, q, n, t } = parsed as Record<string, unknown>;
  const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  if (v !== 1 || typeof q !== 'string' || !isCount(n) || !isCount(t)) return undefined;
  return { v, q, n, t };
}
