// The vocabulary of a data sync job, shared by the API, the engine and the workflows.

export type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'datetime' | 'email' | 'gsid';
export const FIELD_TYPES: readonly FieldType[] = ['string', 'number', 'boolean', 'date', 'datetime', 'email', 'gsid'];

export type ModificationType = 'upsert' | 'update';

export interface Mapping {
  /** Dotted path into the source record, e.g. `customAttributes.plan`. */
  source: string;
  target: string;
  upsertKey: boolean;
  /** Locked mappings were put there by the connector and cannot be removed. */
  locked?: boolean;
}

export interface LookupMatch {
  source: string;
  field: string;
}

export interface DerivedMapping {
  target: string;
  object: string;
  /** `self` looks up the job's own target object; `direct` another object. */
  kind?: 'direct' | 'self';
  match: LookupMatch[];
  onNoMatch: 'error' | 'null';
  onMultipleMatches: 'error' | 'any';
  /** The matched record's field to copy; the GSID when absent. */
  returnField?: string;
  locked?: boolean;
}

export type FilterOp =
  | 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte'
  | 'contains' | 'not_contains' | 'starts_with' | 'ends_with'
  | 'in' | 'not_in' | 'is_null' | 'is_not_null';
export const FILTER_OPS: readonly FilterOp[] = [
  'eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'contains', 'not_contains', 'starts_with', 'ends_with',
  'in', 'not_in', 'is_null', 'is_not_null',
];

export interface FilterCondition {
  id: string;
  /** A dotted source field path. */
  field: string;
  op: FilterOp;
  value?: unknown;
  locked?: boolean;
}

export interface FilterSpec {
  conditions: FilterCondition[];
  /** Condition ids combined with AND, OR and parentheses; empty means all ANDed. */
  logic?: string | null;
}

export interface Notifications {
  onSuccess: string[];
  onFailure: string[];
  webhookUrl: string | null;
}

export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface Schedule {
  enabled: boolean;
  timezone: string;
  frequency: 'hourly' | 'daily' | 'weekly' | 'monthly';
  everyHours?: number;
  daily?: { mode: 'once'; at: string } | { mode: 'repeat'; from: string; to: string; everyHours: number };
  weekly?: { days: Weekday[]; at: string };
  monthly?: { day: number; at: string };
}

/**
 * `upload`: a file pushed to the job (a Bulk API upload) asked for the run; `retry_failed`: the run
 * processes failed records again (one run's, or the job's open failures), never the source.
 */
export type RunTrigger = 'import_now' | 'import_from_date' | 'schedule' | 'chain' | 'dependency' | 'upload' | 'retry_failed';
export type RunStatus = 'queued' | 'running' | 'success' | 'partial_success' | 'failure' | 'cancelled';
export const FINAL_STATUSES: readonly RunStatus[] = ['success', 'partial_success', 'failure', 'cancelled'];
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'success', 'partial_success', 'failure', 'cancelled'];
export const RUN_TRIGGERS: readonly RunTrigger[] = ['import_now', 'import_from_date', 'schedule', 'chain', 'dependency', 'upload', 'retry_failed'];

export interface RunCounts {
  fetched: number;
  filtered: number;
  inserted: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export const zeroCounts = (): RunCounts => ({ fetched: 0, filtered: 0, inserted: 0, updated: 0, unchanged: 0, failed: 0 });

export interface StoredError {
  code: string;
  message: string;
}

/**
 * A run whose page work is failing and being retried: recorded by each failed attempt, so that the
 * outage can be told afterwards (the live state comes from Temporal's pending activity).
 */
export interface RunWaiting {
  /** When the first attempt of this streak failed. */
  since: string;
  /** The number of the last attempt that failed. */
  attempts: number;
  lastError: StoredError;
}

/** All that a run waited on outages, once each ended: how often, how long, how many attempts failed. */
export interface RunWaited {
  outages: number;
  seconds: number;
  failedAttempts: number;
  lastError: StoredError;
}
