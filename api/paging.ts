import { badRequest } from './errors.js';

const invalidCursor = () => badRequest('cursor is not one this API handed out; pass nextCursor from the previous page', [{ path: 'querystring/cursor', message: 'invalid cursor' }]);

/** Cursors are opaque to clients: base64url of the last item's sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key || encodeCursor(key) !== cursor) throw invalidCursor();
  return key;
}

/** For lists sorted by a number: a cursor that decodes to anything else is refused, never queried. */
export function decodeIntegerCursor(cursor: string | undefined): number | null {
  const key = decodeCursor(cursor);
  if (key === null) return null;
  if (!/^\d{1,15}$/.test(key)) throw invalidCursor();
  return Number(key);
}

/** Rows fetched with limit + 1 become a page and the cursor of the next one. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1]!)) : null };
}

/** Lists newest first by a timestamp and an id: the key keeps the time at PostgreSQL's full (microsecond) precision, which a Date would cut. */
export interface TimeKey {
  at: string;
  id: string;
}

const TIME_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(.+)$/;

export function decodeTimeCursor(cursor: string | undefined): TimeKey | null {
  const key = decodeCursor(cursor);
  if (key === null) return null;
  const match = TIME_KEY.exec(key);
  const at = match?.[1];
  // A real calendar date, so PostgreSQL never sees one it would refuse (a 30 February).
  if (at === undefined || Number.isNaN(Date.parse(at)) || new Date(at).toISOString().slice(0, 19) !== at.slice(0, 19)) throw invalidCursor();
  return { at, id: match![2]! };
}

export const encodeTimeCursor = (key: TimeKey): string => encodeCursor(`${key.at}|${key.id}`);
