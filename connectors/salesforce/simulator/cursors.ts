// Query locators of the REST query resource: a query whose results do not fit one batch keeps its
// result set (as it was when the query ran) under a locator, and `nextRecordsUrl` names the locator
// and the offset of the next batch. A locator expires after 15 minutes without use, as Salesforce's
// query cursors do; after that, the next batch answers 400 INVALID_QUERY_LOCATOR.
import { randomBytes } from 'node:crypto';
import type { SfRecord } from './data.js';
import type { Org } from './orgs.js';
import type { SfField, SfObject } from './schema.js';

export interface QueryCursor {
  org: Org;
  object: SfObject;
  fields: SfField[];
  records: SfRecord[];
  batchSize: number;
  lastUsed: number;
}

export const CURSOR_IDLE_MS = 15 * 60_000;

export class QueryCursors {
  private readonly cursors = new Map<string, QueryCursor>();
  idleMs = CURSOR_IDLE_MS;

  open(cursor: Omit<QueryCursor, 'lastUsed'>, now = Date.now()): string {
    this.sweep(now);
    const id = `01g${cursor.org.data.pod}${randomBytes(8).toString('hex').slice(0, 10)}AAA`;
    this.cursors.set(id, { ...cursor, lastUsed: now });
    return id;
  }

  use(id: string, org: Org, now = Date.now()): QueryCursor | undefined {
    const cursor = this.cursors.get(id);
    if (!cursor || cursor.org !== org || now - cursor.lastUsed > this.idleMs) return undefined;
    cursor.lastUsed = now;
    return cursor;
  }

  /** Every open locator expires now (a test of what a client does after a long pause). */
  expireAll(): number {
    const count = this.cursors.size;
    this.cursors.clear();
    return count;
  }

  private sweep(now: number): void {
    for (const [id, cursor] of this.cursors) if (now - cursor.lastUsed > this.idleMs) this.cursors.delete(id);
  }
}
