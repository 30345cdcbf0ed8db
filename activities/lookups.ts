// Derived mappings: fill a GSID field by finding the record of an object whose fields match.
// One set-based query per lookup per page, whatever the page size.
import type { Tx as Sql } from '../db/client.js';
import type { PlannedLookup, SyncPlan } from '../sync/plan.js';
import { sourceKeyValues, type PreparedRecord, type RecordFailure, type Value } from '../sync/transform.js';
import { join, keyString, matches, textArray, toText } from './sql.js';

export async function resolveLookups(
  sql: Sql,
  plan: SyncPlan,
  records: PreparedRecord[],
  failures: RecordFailure[],
): Promise<PreparedRecord[]> {
  let remaining = records;
  for (const [index, lookup] of plan.lookups.entries()) {
    const found = await findMatches(sql, lookup, remaining.map((r) => r.lookupKeys[index] ?? null));
    const fields = lookup.matchFields.map((m) => m.field);
    remaining = remaining.filter((record) => {
      const tuple = record.lookupKeys[index] ?? null;
      const hits = tuple ? found.get(keyString(fields, tuple)) ?? [] : [];
      const outcome = decide(lookup, tuple, hits);
      if (typeof outcome === 'object' && outcome !== null && 'reason' in outcome) {
        failures.push({ sourceId: record.sourceId, keyValues: sourceKeyValues(record.source, plan), reason: outcome.reason, source: record.source });
        return false;
      }
      record.values[lookup.target.name] = outcome as Value;
      return true;
    });
  }
  return remaining;
}

function decide(lookup: PlannedLookup, tuple: Value[] | null, hits: Value[]): Value | { reason: string } {
  const { mapping } = lookup;
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) {
    if (mapping.onMultipleMatches === 'any') return hits[0]!;
    return { reason: `lookup for ${mapping.target}: ${hits.length} ${mapping.object} records match ${describe(lookup, tuple)}; make the match fields unique or allow any match` };
  }
  if (mapping.onNoMatch === 'null') return null;
  return { reason: `lookup for ${mapping.target}: no ${mapping.object} record matches ${describe(lookup, tuple)}` };
}

function describe(lookup: PlannedLookup, tuple: Value[] | null): string {
  return lookup.matchFields
    .map((m, i) => `${m.field.name} = ${tuple ? JSON.stringify(toText(tuple[i] ?? null)) : 'an empty value'} (from ${m.source})`)
    .join(' and ');
}

/** Distinct match tuples → the return-field values of every matching record. */
async function findMatches(sql: Sql, lookup: PlannedLookup, tuples: (Value[] | null)[]): Promise<Map<string, Value[]>> {
  const fields = lookup.matchFields.map((m) => m.field);
  const distinct = new Map<string, Value[]>();
  for (const tuple of tuples) if (tuple) distinct.set(keyString(fields, tuple), tuple);
  const result = new Map<string, Value[]>();
  if (distinct.size === 0) return result;
  const keys = [...distinct.values()];
  const arrays = fields.map((_, i) => sql`${textArray(keys.map((k) => toText(k[i] ?? null)))}::text[]`);
  const columns = fields.map((_, i) => `v${i}`);
  const conditions = fields.map((f, i) => matches(sql, 't', f, 'k', columns[i]!));
  const rows = await sql<{ idx: string; ret: Value }[]>`
    select k.idx, t.${sql(lookup.returnField.name)} as ret
    from unnest(${join(sql, arrays, ', ')}) with ordinality as k(${sql.unsafe(columns.join(', '))}, idx)
    join ${sql(lookup.object.name)} as t on ${join(sql, conditions, ' and ')}
    order by k.idx, t.gsid`;
  for (const row of rows) {
    const key = keyString(fields, keys[Number(row.idx) - 1]!);
    const list = result.get(key) ?? [];
    list.push(row.ret);
    result.set(key, list);
  }
  return result;
}
