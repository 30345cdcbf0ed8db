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
  type: 'string' | 'number' | 'boolean' | 'datetime' | 'object' | 'array';
  custom: boolean;
}

export interface SourceObject {
  name: string;
  label: string;
  /** The field that identifies a record, reported with record errors. */
  idField: string;
  fields: SourceField[];
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
  sourceId: string;
  reason: string;
  record: Record<string, unknown>;
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
}

export interface ConnectorSession {
  /** Resolves when the source accepts the credentials; throws a SynclineError otherwise. */
  test(): Promise<void>;
  describeObjects(): Promise<SourceObject[]>;
  readPage(request: ReadRequest): Promise<ReadPage>;
  idField(object: string): string;
}

export interface ConnectionSettings {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** What the platform lends a connector: its PostgreSQL, for connectors that stage or remember. */
export interface ConnectorContext {
  sql: Sql;
  /** The only way out to the network: every HTTP request a connector makes goes through it. */
  outbound: Outbound;
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
  /** Human messages for job options the connector cannot use, each naming the option; without it a connector takes no options. */
  validateJobOptions?(options: Record<string, unknown>): { path: string; message: string }[];
  open(settings: ConnectionSettings, context: ConnectorContext): ConnectorSession;
}
