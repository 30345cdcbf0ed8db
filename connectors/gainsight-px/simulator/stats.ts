// What the simulator has been asked, so tests can check retries and filter push-down.

export interface SeenListQuery {
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Decoded `filter` parameters in the order sent. */
  filters: string[];
  sort: string | null;
  pageSize: string | null;
  scrollId: string | null;
}

const QUERIES_KEPT = 200;

export class PxStats {
  /** API requests (under /v1), whatever their answer. */
  requests = 0;
  /** Answers to API requests by HTTP status. */
  byStatus: Record<string, number> = {};
  /** List requests by path, e.g. `/v1/users`. */
  listRequests: Record<string, number> = {};
  /** The most recent list queries, oldest first. */
  queries: SeenListQuery[] = [];

  recordRequest(): void {
    this.requests++;
  }

  recordStatus(status: number): void {
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
  }

  recordList(url: URL): void {
    const path = url.pathname;
    const params = url.searchParams;
    this.listRequests[path] = (this.listRequests[path] ?? 0) + 1;
    this.queries.push({
      path,
      query: url.search.slice(1),
      filters: params.getAll('filter'),
      sort: params.get('sort'),
      pageSize: params.get('pageSize'),
      scrollId: params.get('scrollId'),
    });
    if (this.queries.length > QUERIES_KEPT) this.queries.shift();
  }

  /** The latest list query, optionally for one path. */
  lastQuery(path?: string): SeenListQuery | undefined {
    for (let i = this.queries.length - 1; i >= 0; i--) {
      const seen = this.queries[i];
      if (seen !== undefined && (path === undefined || seen.path === path)) return seen;
    }
    return undefined;
  }

  reset(): void {
    this.requests = 0;
    this.byStatus = {};
    this.listRequests = {};
    this.queries = [];
  }
}
