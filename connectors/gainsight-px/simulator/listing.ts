// Pages of a list endpoint. In index order (no sort) a page scans forward from the scroll
// position, so a scroll over a million records touches each once and is not disturbed by records
// changing behind it. A sorted listing has to see every match first; its order is cached per query
// and data version so the pages after the first are cheap.
//
// Like PX's own index, a filter on lastModifiedDate does not look at records it cannot match:
// records nobody changed were last modified in a known span, so a window after it visits only the
// changed ones, and a window around all of it counts the unchanged ones without generating them.
import type { PxDataset } from './data.js';
import { matchesFilter, type Filter, type FilterTerm } from './filter.js';
import { INITIAL_SPAN_MS } from './generate.js';
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
    if (this.unchangedMatch(query.filter) === 'none') {
      // Only changed records can match: jump from one to the next.
      const changed = this.dataset.changedIndexes(query.object);
      let i = firstAtOrAfter(changed, index);
      for (; i < changed.length && records.length < query.pageSize; i++) {
        const record = this.recordAt(query.object, changed[i]!);
        if (matchesFilter(record, query.filter)) records.push(record);
        index = changed[i]! + 1;
      }
      if (i >= changed.length) index = count;
    } else {
      for (; index < count && records.length < query.pageSize; index++) {
        const record = this.recordAt(query.object, index);
        if (matchesFilter(record, query.filter)) records.push(record);
      }
    }
    return { records, next: index, totalHits: start?.totalHits ?? records.length + this.countMatches(query, index) };
  }

  private countMatches(query: ListQuery, from: number): number {
    const count = this.count(query.object);
    if (query.filter.length === 0) return Math.max(0, count - from);
    const unchanged = this.unchangedMatch(query.filter);
    if (unchanged !== 'some') {
      const changed = this.dataset.changedIndexes(query.object);
      const first = firstAtOrAfter(changed, from);
      let matches = unchanged === 'all' ? Math.max(0, count - from) - (changed.length - first) : 0;
      for (let i = first; i < changed.length; i++) {
        if (matchesFilter(this.recordAt(query.object, changed[i]!), query.filter)) matches++;
      }
      return matches;
    }
    let matches = 0;
    for (let index = from; index < count; index++) {
      if (matchesFilter(this.recordAt(query.object, index), query.filter)) matches++;
    }
    return matches;
  }

  /** Whether the filter keeps all, none or some of the records nobody changed, by lastModifiedDate alone. */
  private unchangedMatch(filter: Filter): 'all' | 'none' | 'some' {
    const span = { from: this.dataset.baseTime - INITIAL_SPAN_MS, to: this.dataset.baseTime };
    const groups = filter.map((group) => {
      const decided = group.map((term) => decideOverSpan(term, span));
      if (decided.includes('none')) return 'none';
      return decided.every((d) => d === 'all') ? 'all' : 'some';
    });
    if (groups.includes('all')) return 'all';
    return groups.length > 0 && groups.every((g) => g === 'none') ? 'none' : 'some';
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

/** How a term treats every record last modified within [from, to]; 'some' when it depends on more. */
function decideOverSpan(term: FilterTerm, span: { from: number; to: number }): 'all' | 'none' | 'some' {
  const x = term.numericValue;
  if (term.field !== 'lastModifiedDate' || x === undefined) return 'some';
  switch (term.operator) {
    case '>=':
      return span.from >= x ? 'all' : span.to < x ? 'none' : 'some';
    case '>':
      return span.from > x ? 'all' : span.to <= x ? 'none' : 'some';
    case '<':
      return span.to < x ? 'all' : span.from >= x ? 'none' : 'some';
    case '<=':
      return span.to <= x ? 'all' : span.from > x ? 'none' : 'some';
    default:
      return 'some';
  }
}

/** The position of the first value >= `value` in an ascending list. */
function firstAtOrAfter(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
