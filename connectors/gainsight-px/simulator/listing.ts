// Pages of a list endpoint. In index order (no sort) a page scans forward from the scroll
// position, so a scroll over a million records touches each once and is not disturbed by records
// changing behind it. A sorted listing has to see every match first; its order is cached per query
// and data version so the pages after the first are cheap.
import type { PxDataset } from './data.js';
import { matchesFilter, type Filter } from './filter.js';
import type { PxObject } from './records.js';
import { decodeScrollId, encodeScrollId, type ScrollPosition } from './scroll.js';
import { sortIndexes, type SortKey } from './sort.js';

export interface ListQuery {
  object: PxObject;
  /** The filter as applied, after any injected fault dropped terms. */
  filter: Filter;
  sort: readonly SortKey[];
  pageSize: number;
  scrollId: string | undefined;
  /** Identifies the query as the client sent it; see scroll.ts. */
  hash: string;
}

export interface ListPage {
  records: object[];
  totalHits: number;
  scrollId: string;
}

const SORTED_VIEWS_KEPT = 4;

export class Lister {
  private readonly sortedViews = new Map<string, number[]>();

  constructor(private readonly dataset: PxDataset) {}

  page(query: ListQuery): ListPage {
    const start = query.scrollId === undefined ? undefined : decodeScrollId(query.scrollId, query.hash);
    const { records, next, totalHits } = query.sort.length > 0 ? this.sortedPage(query, start) : this.indexOrderPage(query, start);
    return { records, totalHits, scrollId: encodeScrollId(query.hash, { next, totalHits }) };
  }

  private indexOrderPage(query: ListQuery, start: ScrollPosition | undefined): { records: object[]; next: number; totalHits: number } {
    const count = this.count(query.object);
    const records: object[] = [];
    let index = start?.next ?? 0;
    for (; index < count && records.length < query.pageSize; index++) {
      const record = this.recordAt(query.object, index);
      if (matchesFilter(record, query.filter)) records.push(record);
    }
    return { records, next: index, totalHits: start?.totalHits ?? records.length + this.countMatches(query, index) };
  }

  private countMatches(query: ListQuery, from: number): number {
    const count = this.count(query.object);
    if (query.filter.length === 0) return Math.max(0, count - from);
    let matches = 0;
    for (let index = from; index < count; index++) {
      if (matchesFilter(this.recordAt(query.object, index), query.filter)) matches++;
    }
    return matches;
  }

  private sortedPage(query: ListQuery, start: ScrollPosition | undefined): { records: object[]; next: number; totalHits: number } {
    const order = this.sortedView(query);
    const offset = start?.next ?? 0;
    const records = order.slice(offset, offset + query.pageSize).map((index) => this.recordAt(query.object, index));
    return { records, next: offset + records.length, totalHits: start?.totalHits ?? order.length };
  }

  private sortedView(query: ListQuery): number[] {
    const key = JSON.stringify([
      query.object,
      this.dataset.version,
      query.filter.map((group) => group.map((term) => [term.field, term.operator, term.value])),
      query.sort.map((sortKey) => [sortKey.field, sortKey.descending]),
    ]);
    const cached = this.sortedViews.get(key);
    if (cached !== undefined) return cached;
    const matching: number[] = [];
    const count = this.count(query.object);
    for (let index = 0; index < count; index++) {
      if (matchesFilter(this.recordAt(query.object, index), query.filter)) matching.push(index);
    }
    const order = sortIndexes(matching, query.sort, (index) => this.recordAt(query.object, index));
    this.sortedViews.set(key, order);
    for (const oldest of this.sortedViews.keys()) {
      if (this.sortedViews.size <= SORTED_VIEWS_KEPT) break;
      this.sortedViews.delete(oldest);
    }
    return order;
  }

  private count(object: PxObject): number {
    return object === 'accounts' ? this.dataset.accountCount : this.dataset.userCount;
  }

  private recordAt(object: PxObject, index: number): object {
    return object === 'accounts' ? this.dataset.account(index) : this.dataset.user(index);
  }
}
