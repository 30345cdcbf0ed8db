// The pure part of a page: filter, map and convert. What needs the database (lookups, upserts)
// happens afterwards, on these prepared records.
import { getPath } from './paths.js';
import { convertValue } from './convert.js';
import type { SyncPlan } from './plan.js';

export type Value = string | number | boolean | Date | null;

export interface PreparedRecord {
  sourceId: string | null;
  source: Record<string, unknown>;
  /** Values for the target row, by field name. */
  values: Record<string, Value>;
  /** Values for the resolved person, by field name. */
  personValues: Record<string, Value>;
  /** One converted match tuple per lookup; null when a match value is empty. */
  lookupKeys: (Value[] | null)[];
}

export interface RecordFailure {
  sourceId: string | null;
  keyValues: Record<string, unknown>;
  reason: string;
  source: Record<string, unknown>;
  /** The source could not read it as a record: a retry has nothing to process. */
  rejected?: boolean;
  /** `source` is already the stored beginning of a record too large to keep whole. */
  truncated?: boolean;
}

export interface TransformResult {
  filtered: number;
  /** The source ids of the records the filters dropped: no longer failing, if they were. */
  filteredIds: string[];
  prepared: PreparedRecord[];
  failures: RecordFailure[];
}

export function transformPage(
  records: Record<string, unknown>[],
  plan: SyncPlan,
  keep: (record: unknown) => boolean,
  idField: string,
): TransformResult {
  let filtered = 0;
  const filteredIds: string[] = [];
  const prepared: PreparedRecord[] = [];
  const failures: RecordFailure[] = [];
  for (const source of records) {
    if (!keep(source)) {
      filtered++;
      const id = sourceIdOf(source, idField);
      if (id !== null) filteredIds.push(id);
      continue;
    }
    const outcome = prepareRecord(source, plan, idField);
    if ('reason' in outcome) failures.push(outcome);
    else prepared.push(outcome);
  }
  return { filtered, filteredIds, prepared, failures };
}

/** One record kept by the filters, mapped and converted; or why it cannot be. */
export function prepareRecord(source: Record<string, unknown>, plan: SyncPlan, idField: string): PreparedRecord | RecordFailure {
  return prepare(source, sourceIdOf(source, idField), plan);
}

function prepare(source: Record<string, unknown>, sourceId: string | null, plan: SyncPlan): PreparedRecord | RecordFailure {
  const values: Record<string, Value> = {};
  const personValues: Record<string, Value> = {};
  for (const planned of plan.fields) {
    const raw = getPath(source, planned.source!);
    const converted = convertValue(raw, planned.field.type, planned.field);
    if (!converted.ok) {
      return failure(source, sourceId, plan, `${planned.source} → ${planned.field.name}: ${converted.reason}`);
    }
    (planned.onPerson ? personValues : values)[planned.field.name] = converted.value;
  }
  const lookupKeys: (Value[] | null)[] = [];
  for (const lookup of plan.lookups) {
    const tuple: Value[] = [];
    for (const match of lookup.matchFields) {
      const converted = convertValue(getPath(source, match.source), match.field.type, match.field);
      if (!converted.ok) {
        return failure(source, sourceId, plan, `lookup ${lookup.mapping.target} on ${match.source}: ${converted.reason}`);
      }
      tuple.push(converted.value);
    }
    lookupKeys.push(tuple.some((v) => v === null) ? null : tuple);
  }
  return { sourceId, source, values, personValues, lookupKeys };
}

function failure(source: Record<string, unknown>, sourceId: string | null, plan: SyncPlan, reason: string): RecordFailure {
  return { sourceId, keyValues: sourceKeyValues(source, plan), reason, source };
}

/** The upsert-key values as the source had them, for the errors file. */
export function sourceKeyValues(source: Record<string, unknown>, plan: SyncPlan): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const planned of plan.fields) {
    if (plan.keyFields.includes(planned.field) || plan.personKey?.includes(planned.field)) {
      result[planned.field.name] = getPath(source, planned.source!) ?? null;
    }
  }
  return result;
}

/** The record's id, as failures report it. */
export function sourceIdOf(source: Record<string, unknown>, idField: string): string | null {
  const id = getPath(source, idField);
  return id === undefined || id === null ? null : String(id);
}
