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
