// The one small interface every source system plugs in behind. The engine only ever sees this.
import type { Sql, Tx } from '../db/client.js';
import type { DerivedMapping, FilterSpec, Mapping, ModificationType, RunTrigger } from '../sync/types.js';
import type { Destination, Outbound } from '../services/outbound.js';

export interface ConfigField {
  name: string;
  type: 'string' | 'boolean' | 'enum';
  required: boolean;
  secret: boolean;
  description: string;
  default?: string | boolean;
  values?: string[];
  /** Chosen when the connection is created: its out-of-the-box jobs are built for it. */
  fixed?: boolean;
}

export interface SourceField {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'date' | 'datetime' | 'object' | 'array';
  custom: boolean;
  /** The source's own name for the type, where it has a richer one (Salesforce: picklist, currency, reference). */
  sourceType?: string;
  label?: string;
  /** False when the source cannot filter on the field: its filters are then applied by the engine alone. */
  filterable?: boolean;
}

export interface SourceObject {
  name: string;
  label: string;
  /** The field that identifies a record, reported with record errors. */
  idField: string;
  fields: SourceField[];
  /** An object an admin of the source defined (a Salesforce `__c` object). */
  custom?: boolean;
}

export interface Window {
  from: Date;
  to: Date;
}

export interface ReadRequest {
  object: string;
  window: Window;
  /** Null on the first page; afterwards exactly what the previous page returned. */
  cursor: unknown;
  filters: FilterSpec;
  options: Record<string, unknown>;
  /** Every source field the job reads: mapping sources, lookup match sources, filter fields. */
  fields: string[];
  /** The run this read belongs to, for connectors that keep state of their own per job. */
  run: { id: string; jobId: string; trigger: RunTrigger };
}

/** A record the source holds but could not be read as one (a malformed file line). */
export interface RejectedRecord {
  /** Null when nothing names the record (a failure a retry could not process, kept without one). */
  sourceId: string | null;
  reason: string;
  record: Record<string, unknown>;
  /** The record is the stored beginning of a longer one; kept as it is, marked truncated again. */
  truncated?: boolean;
}

export interface ReadPage {
  /** Records whose modification time falls inside the window, in source order. */
  records: Record<string, unknown>[];
  /** Null when the source has no more pages for this window. Must be small and JSON. */
  nextCursor: unknown;
  /** Counted as fetched and failed, and listed among the run's failed records. */
  rejected?: RejectedRecord[];
  /** The file the page's records came from; the run keeps counts per file. */
  file?: string;
  /**
   * The connector's own bookkeeping for this page (a file finished, staged rows used up), run in
   * the page's transaction: it happens exactly when the page is committed, and never otherwise.
   */
  commit?: (tx: Tx) => Promise<void>;
  /** What the source said of its usage limits while reading the page (Salesforce: daily API requests); the run keeps the latest. */
  sourceUsage?: Record<string, unknown>;
}

export interface ConnectorSession {
  /**
   * Resolves when the source accepts the credentials, with what a person checking the connection
   * wants to see (an org id, API usage) when the source tells; throws a SynclineError otherwise.
   */
  test(): Promise<Record<string, unknown> | void>;
  describeObjects(): Promise<SourceObject[]>;
  /** One object, described afresh; for sources with more objects than describeObjects lists. */
  describeObject?(name: string): Promise<SourceObject>;
  readPage(request: ReadRequest): Promise<ReadPage>;
  idField(object: string): string;
}

/**
 * What an authorization left behind: credentials (tokens: sealed at rest, never shown, never in a
 * workflow) and details a person may see (the instance reached, the org, who authorized).
 */
export interface AuthorizationGrant {
  credentials: Record<string, string>;
  details: Record<string, string | null>;
}

export interface ConnectionSettings {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  /** The connection's grant, for connectors that authorize; null until one is stored. */
  grant?: AuthorizationGrant | null;
}

/** How a session keeps its connection's grant current; the platform seals and stores what it is given. */
export interface GrantKeeper {
  /** The connection's id, for messages that tell a person which connection to authorize. */
  readonly connectionId: string;
  /** Credentials renewed under the same grant (a refreshed access token), for the sessions that follow. */
  renewed(credentials: Record<string, string>): Promise<void>;
  /** A whole new grant the session obtained on its own (a JWT bearer exchange): the connection is authorized. */
  granted(grant: AuthorizationGrant): Promise<void>;
  /** The source refused the grant for good (revoked, expired): the connection needs authorizing again. */
  lost(reason: string): Promise<void>;
}

/** What the platform lends a connector: its PostgreSQL, for connectors that stage or remember. */
export interface ConnectorContext {
  sql: Sql;
  /** The only way out to the network: every HTTP request a connector makes goes through it. */
  outbound: Outbound;
  /** Present when the session belongs to a stored connection. */
  grants?: GrantKeeper;
}

export interface AuthorizationRequest {
  /** Where the source sends the person back: Syncline's `/v1/oauth/callback`. */
  redirectUri: string;
  /** Binds the callback to this request and this connection; single use. */
  state: string;
  /** PKCE: base64url(SHA-256(verifier)); the verifier never leaves the server. */
  codeChallenge: string;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** For connectors whose connections a person (or the server) authorizes, as OAuth CRMs do. */
export interface ConnectorAuthorization {
  /** `redirect`: a person grants access in a browser; `direct`: the server authorizes on its own. */
  mode(config: Record<string, unknown>): 'redirect' | 'direct';
  /** Settings whose change voids the grant: the connection must be authorized again. */
  resetOn: readonly string[];
  /** The page a person opens to grant access. */
  authorizationUrl(settings: ConnectionSettings, request: AuthorizationRequest): string;
  exchangeCode(settings: ConnectionSettings, exchange: CodeExchange, outbound: Outbound): Promise<AuthorizationGrant>;
  authorizeDirectly(settings: ConnectionSettings, outbound: Outbound): Promise<AuthorizationGrant>;
  /** Asks the source to forget a grant (a connection deleted or authorized again); best effort. */
  revoke(settings: ConnectionSettings, grant: AuthorizationGrant, outbound: Outbound): Promise<void>;
}

/** A setting holding a URL that a connector sends a credential to. */
export interface UrlSetting {
  /** The config field that holds the URL. */
  field: string;
  /** Where the URL may point; checked when the connection is saved and again on every request. */
  destination: Destination;
  /** The secret sent there: a change of the URL must come with this secret again. */
  secret: string;
}

export interface JobTemplate {
  key: string;
  name: string;
  sourceObject: string;
  targetObject: string;
  modificationType: ModificationType;
  mappings: Mapping[];
  derivedMappings: DerivedMapping[];
  filters: FilterSpec;
  /** Keys of other templates of the same connection that must run first. */
  dependsOn: string[];
  /** What the job does, for a person choosing among templates. */
  description?: string;
}

export interface Connector {
  id: string;
  name: string;
  category: string;
  configFields: ConfigField[];
  allowsCustomJobs: boolean;
  /** How many connections may exist; null for no limit. */
  maxConnections: number | null;
  /** Settings that are URLs the connector sends credentials to; none when it only reaches fixed hosts. */
  urlSettings?: UrlSetting[];
  /** Human messages for config that cannot work, each naming the field. */
  validateConfig(config: Record<string, unknown>): { path: string; message: string }[];
  outOfTheBoxJobs(connectionName: string, config: Record<string, unknown>): JobTemplate[];
  /** Ready-made jobs a user creates on demand, one call each, and edits like any job. */
  jobTemplates?(connectionName: string, config: Record<string, unknown>): JobTemplate[];
  /** Present for connectors whose connections are authorized (OAuth) rather than given a key. */
  authorization?: ConnectorAuthorization;
  /** How long a description of the source's objects may be reused; describing costs API calls. Unset: never cached. */
  objectsCacheSeconds?: number;
  /** Human messages for job options the connector cannot use, each naming the option; without it a connector takes no options. */
  validateJobOptions?(options: Record<string, unknown>): { path: string; message: string }[];
  open(settings: ConnectionSettings, context: ConnectorContext): ConnectorSession;
}
