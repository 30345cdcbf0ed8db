// What the simulator was asked, by whom and where, so tests can check hosts, token refreshes,
// retries and what the connector pushed down into SOQL.

export interface SeenQuery {
  host: string;
  /** `query`, `queryAll` or `bulk`. */
  via: string;
  soql: string;
  batchSize: number | null;
}

const QUERIES_KEPT = 200;

export class SfStats {
  requests = 0;
  byHost: Record<string, number> = {};
  byStatus: Record<string, number> = {};
  /** Token endpoint calls by `<host> <grant_type>`. */
  tokenGrants: Record<string, number> = {};
  /** Authorize page visits by host. */
  authorizations: Record<string, number> = {};
  /** Data API calls by kind: query, queryMore, describe, limits, bulkCreate, bulkStatus, bulkResults, userinfo. */
  calls: Record<string, number> = {};
  queries: SeenQuery[] = [];

  recordRequest(host: string): void {
    this.requests++;
    this.byHost[host] = (this.byHost[host] ?? 0) + 1;
  }

  recordStatus(status: number): void {
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
  }

  recordGrant(host: string, grantType: string): void {
    const key = `${host} ${grantType}`;
    this.tokenGrants[key] = (this.tokenGrants[key] ?? 0) + 1;
  }

  recordAuthorize(host: string): void {
    this.authorizations[host] = (this.authorizations[host] ?? 0) + 1;
  }

  recordCall(kind: string): void {
    this.calls[kind] = (this.calls[kind] ?? 0) + 1;
  }

  recordQuery(query: SeenQuery): void {
    this.queries.push(query);
    if (this.queries.length > QUERIES_KEPT) this.queries.shift();
  }

  reset(): void {
    this.requests = 0;
    this.byHost = {};
    this.byStatus = {};
    this.tokenGrants = {};
    this.authorizations = {};
    this.calls = {};
    this.queries = [];
  }
}
