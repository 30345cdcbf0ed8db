// Set-based upserts by the job's key: one lookup of existing rows, one insert and one update per
// page. Records sharing a key inside a page are applied in order, so the later one wins.
import { newGsid } from '../sync/gsid.js';
import type { Tx as Sql } from '../db/client.js';
import type { FieldDef, ObjectDef } from '../sync/objects.js';
import type { SyncPlan } from '../sync/plan.js';
import { valuesEqual } from '../sync/convert.js';
import { sourceKeyValues, type PreparedRecord, type RecordFailure, type Value } from '../sync/transform.js';
import { allSettledOrThrow, castOf, join, keyString, matches, textArray, toText } from './sql.js';

export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** A field an update changes, as a job preview shows it. */
export interface FieldChange {
  field: string;
  from: Value;
  to: Value;
}

/** What one record did to its target row (and its person), for a job preview. */
export interface RecordOutcome {
  record: PreparedRecord;
  outcome: 'inserted' | 'updated' | 'unchanged';
  changes: FieldChange[];
}

interface Row {
  gsid: string;
  values: Record<string, Value>;
}

interface Group {
  key: Value[];
  records: PreparedRecord[];
}

/**
 * Serialises writers of one object, so that two jobs never insert the same key twice: the plan's
 * object and its person's, locked in name order so that two writers never wait on each other.
 */
export async function lockObjects(sql: Sql, plan: SyncPlan): Promise<void> {
  const objects = (plan.person ? [plan.object.name, plan.person.name] : [plan.object.name]).sort().map((object) => `syncline:object:${object}`);
  // One statement: a function scan hands the locks out in the array's order.
  await sql`select pg_advisory_xact_lock(hashtext(o)) from unnest(${textArray(objects)}::text[]) as o`;
}

/** Writes the records; `outcomes`, when given, receives what each record did (a preview asks). */
export async function upsertPage(
  sql: Sql,
  plan: SyncPlan,
  records: PreparedRecord[],
  failures: RecordFailure[],
  outcomes?: RecordOutcome[],
): Promise<WriteCounts> {
  const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  let pending = records;
  /** Records that change their person, with the person's fields they change. */
  const personChanged = new Map<PreparedRecord, FieldChange[]>();
  let personWrites: RowWrites | null = null;
  if (plan.person && plan.personKey) ({ kept: pending, writes: personWrites } = await resolvePersons(sql, plan, pending, failures, personChanged));
  // A person this page creates has no rows yet (its GSID is new), so its keys need no search: on a
  // first import that is every key of the page.
  const created = new Set(personWrites?.inserts.map((row) => row.gsid));

  const fail = (record: PreparedRecord, reason: string) =>
    failures.push({ sourceId: record.sourceId, keyValues: sourceKeyValues(record.source, plan), reason, source: record.source });

  const groups = new Map<string, Group>();
  for (const record of pending) {
    const key = plan.keyFields.map((f) => record.values[f.name] ?? null);
    const empty = plan.keyFields.filter((f, i) => key[i] === null && f !== plan.scopeField);
    if (empty.length > 0) {
      fail(record, `empty upsert key ${empty.map((f) => f.name).join(', ')}: the source record has no value for it`);
      continue;
    }
    const id = keyString(plan.keyFields, key);
    const group = groups.get(id) ?? { key, records: [] };
    group.records.push(record);
    groups.set(id, group);
  }

  // Found while the persons are written, in the same pipeline: a person new in this page has no
  // rows of the object yet. The persons' writes are awaited first, so their refusal is the one seen.
  const searched = [...groups.values()].filter((g) => !created.has(g.key[0] as string)).map((g) => g.key);
  const [, existing] = await allSettledOrThrow<[void, Map<string, Row[]>]>([personWrites ? writeRows(sql, personWrites) : Promise.resolve(), findExisting(sql, plan.object, plan.keyFields, searched)]);
  const inserts: Row[] = [];
  const updates: Row[] = [];
  for (const [id, group] of groups) {
    const matchesFound = existing.get(id) ?? [];
    if (matchesFound.length > 1) {
      for (const record of group.records) fail(record, `${matchesFound.length} ${plan.object.name} records match upsert key ${describeKey(plan.keyFields, group.key)}; make the key unique`);
      continue;
    }
    const stored: Row | null = matchesFound[0] ?? null;
    if (!stored && plan.modificationType === 'update') {
      for (const record of group.records) fail(record, `no matching record: no ${plan.object.name} has ${describeKey(plan.keyFields, group.key)} (the job only updates)`);
      continue;
    }
    if (!stored) {
      // The first record inserts the row; a later one with the same key updates it if it differs.
      let current: Row = { gsid: newGsid(), values: {} };
      group.records.forEach((record, i) => {
        const outcome = i === 0 ? 'inserted' : changes(plan.object, current, record.values) ? 'updated' : 'unchanged';
        counts[outcome]++;
        outcomes?.push({ record, outcome, changes: outcome === 'updated' ? fieldChanges(plan.object, current, record.values) : [] });
        current = { gsid: current.gsid, values: { ...current.values, ...record.values } };
      });
      inserts.push(current);
      continue;
    }
    // An existing row is judged by what the page leaves in it: records that only change it back and
    // forth (two source records of one row, the later one winning) leave it, and are, unchanged.
    let merged: Row = stored;
    for (const record of group.records) merged = { gsid: stored.gsid, values: { ...merged.values, ...record.values } };
    const rowChanges = changes(plan.object, stored, merged.values);
    const changed = rowChanges || group.records.some((r) => personChanged.has(r));
    for (const record of group.records) {
      const outcome = changed && (personChanged.has(record) || changes(plan.object, stored, record.values)) ? 'updated' : 'unchanged';
      counts[outcome]++;
      outcomes?.push({ record, outcome, changes: outcome === 'updated' ? [...fieldChanges(plan.object, stored, record.values), ...(personChanged.get(record) ?? [])] : [] });
    }
    if (rowChanges) updates.push(merged);
  }
  await writeRows(sql, { object: plan.object, inserts, updates });
  return counts;
}

/** Compared by each field's type, so that what the database hands back equals what was written. */
function changes(object: ObjectDef, row: Row, values: Record<string, Value>): boolean {
  for (const name in values) if (!sameValue(fieldOf(object, name), row.values[name] ?? null, values[name] ?? null)) return true;
  return false;
}

function fieldChanges(object: ObjectDef, row: Row, values: Record<string, Value>): FieldChange[] {
  const changed: FieldChange[] = [];
  for (const name in values) {
    const from = row.values[name] ?? null;
    const to = values[name] ?? null;
    if (!sameValue(fieldOf(object, name), from, to)) changed.push({ field: name, from, to });
  }
  return changed;
}

function fieldOf(object: ObjectDef, name: string): FieldDef {
  const field = object.fields.find((f) => f.name === name);
  if (!field) throw new Error(`${object.name} has no field "${name}" to compare`);
  return field;
}

/**
 * An email is one address whatever its case, as persons and lookups treat it; otherwise two
 * records of one person, one with `Nora@Example.com` and one with `nora@example.com`, would count
 * as changing it back and forth on every run.
 */
function sameValue(field: FieldDef, stored: Value, value: Value): boolean {
  if (field.type === 'email' && typeof stored === 'string' && typeof value === 'string') return stored.toLowerCase() === value.toLowerCase();
  return valuesEqual(stored, value, field.type);
}

function describeKey(fields: FieldDef[], key: Value[]): string {
  return fields.map((f, i) => `${f.name} = ${JSON.stringify(toText(key[i] ?? null))}`).join(' and ');
}

/**
 * Persons are found by the Person Resolution Key (email, without case, unless an admin chose other
 * fields). Each one is inserted or updated once per page with its latest values; the company person
 * then points at it. Answers the records that have a person, and the persons to write.
 */
async function resolvePersons(
  sql: Sql,
  plan: SyncPlan,
  records: PreparedRecord[],
  failures: RecordFailure[],
  changed: Map<PreparedRecord, FieldChange[]>,
): Promise<{ kept: PreparedRecord[]; writes: RowWrites }> {
  const person = plan.person!;
  const keyFields = plan.personKey!;
  const kept: PreparedRecord[] = [];
  const groups = new Map<string, Group>();
  for (const record of records) {
    const key = keyFields.map((f) => record.personValues[f.name] ?? null);
    const empty = keyFields.filter((_f, i) => key[i] === null);
    if (empty.length > 0) {
      failures.push({ sourceId: record.sourceId, keyValues: sourceKeyValues(record.source, plan), reason: `empty person key ${empty.map((f) => f.name).join(', ')}: a company person needs a person`, source: record.source });
      continue;
    }
    const id = keyString(keyFields, key);
    const group = groups.get(id) ?? { key, records: [] };
    group.records.push(record);
    groups.set(id, group);
    kept.push(record);
  }
  const existing = await findExisting(sql, person, keyFields, [...groups.values()].map((g) => g.key));
  const inserts: Row[] = [];
  const updates: Row[] = [];
  for (const [id, group] of groups) {
    const found = existing.get(id)?.[0] ?? null;
    if (!found && plan.modificationType === 'update') {
      for (const record of group.records) {
        failures.push({ sourceId: record.sourceId, keyValues: sourceKeyValues(record.source, plan), reason: `no matching record: no person has ${describeKey(keyFields, group.key)} (the job only updates)`, source: record.source });
        kept.splice(kept.indexOf(record), 1);
      }
      continue;
    }
    let current: Row = found ?? { gsid: newGsid(), values: {} };
    for (const record of group.records) {
      current = { gsid: current.gsid, values: { ...current.values, ...record.personValues } };
      record.values[plan.object.resolves!.via] = current.gsid;
    }
    if (!found) {
      inserts.push(current);
    } else if (changes(person, found, current.values)) {
      updates.push(current);
      // As for the target row: a record changed its person if the person changes and it differs.
      for (const record of group.records) {
        const personChanges = fieldChanges(person, found, record.personValues);
        if (personChanges.length > 0) changed.set(record, personChanges);
      }
    }
  }
  return { kept, writes: { object: person, inserts, updates } };
}

async function findExisting(sql: Sql, object: ObjectDef, keyFields: FieldDef[], keys: Value[][]): Promise<Map<string, Row[]>> {
  const result = new Map<string, Row[]>();
  if (keys.length === 0) return result;
  const columns = keyFields.map((_, i) => `v${i}`);
  const texts = keyFields.map((_, i) => keys.map((k) => toText(k[i] ?? null)));
  const arrays = texts.map((values) => sql`${textArray(values)}::text[]`);
  // A null key part (a company person without a company) matches a null column. Only where the
  // page has one: the `or` keeps PostgreSQL from using an index, and every key would then be
  // compared with every row of the table.
  const conditions = keyFields.map((f, i) =>
    texts[i]!.includes(null)
      ? sql`(${matches(sql, 't', f, 'k', columns[i]!)} or (t.${sql(f.name)} is null and k.${sql(columns[i]!)} is null))`
      : matches(sql, 't', f, 'k', columns[i]!),
  );
  const writable = object.fields.filter((f) => !f.readOnly).map((f) => f.name);
  const rows = await sql<Record<string, Value>[]>`
    select k.idx, t.gsid, ${sql(writable)}
    from unnest(${join(sql, arrays, ', ')}) with ordinality as k(${sql.unsafe(columns.join(', '))}, idx)
    join ${sql(object.name)} as t on ${join(sql, conditions, ' and ')}`;
  for (const row of rows) {
    const id = keyString(keyFields, keys[Number(row.idx) - 1]!);
    const list = result.get(id) ?? [];
    const values: Record<string, Value> = {};
    for (const name of writable) values[name] = row[name] ?? null;
    list.push({ gsid: String(row.gsid), values });
    result.set(id, list);
  }
  return result;
}

function columnsOf(object: ObjectDef, rows: Row[]): FieldDef[] {
  const names = new Set<string>();
  for (const row of rows) for (const name in row.values) names.add(name);
  return object.fields.filter((f) => names.has(f.name) && !f.readOnly);
}

interface RowWrites {
  object: ObjectDef;
  inserts: Row[];
  updates: Row[];
}

/** An object's inserts and updates of a page, sent together. */
async function writeRows(sql: Sql, { object, inserts, updates }: RowWrites): Promise<void> {
  await Promise.all([insertRows(sql, object, inserts), updateRows(sql, object, updates)]);
}

async function insertRows(sql: Sql, object: ObjectDef, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const fields = columnsOf(object, rows);
  const arrays = [textArray(rows.map((r) => r.gsid)), ...fields.map((f) => textArray(rows.map((r) => toText(r.values[f.name]))))];
  const columns = ['gsid', ...fields.map((f) => f.name)];
  const aliases = columns.map((_, i) => `c${i}`);
  const selects = [sql`u.c0`, ...fields.map((f, i) => sql`u.${sql(`c${i + 1}`)}::${sql.unsafe(castOf(f))}`)];
  await sql`
    insert into ${sql(object.name)} (${sql(columns)})
    select ${join(sql, selects, ', ')}
    from unnest(${join(sql, arrays.map((a) => sql`${a}::text[]`), ', ')}) as u(${sql.unsafe(aliases.join(', '))})`;
}

async function updateRows(sql: Sql, object: ObjectDef, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  // Rows with different sets of mapped fields never share a page in practice; group to be safe.
  const bySignature = new Map<string, Row[]>();
  for (const row of rows) {
    const signature = Object.keys(row.values).sort().join(',');
    const group = bySignature.get(signature);
    if (group) group.push(row);
    else bySignature.set(signature, [row]);
  }
  for (const group of bySignature.values()) {
    const fields = columnsOf(object, group);
    const arrays = [textArray(group.map((r) => r.gsid)), ...fields.map((f) => textArray(group.map((r) => toText(r.values[f.name]))))];
    const aliases = ['c0', ...fields.map((_, i) => `c${i + 1}`)];
    const sets = fields.map((f, i) => sql`${sql(f.name)} = u.${sql(`c${i + 1}`)}::${sql.unsafe(castOf(f))}`);
    await sql`
      update ${sql(object.name)} as t
      set ${join(sql, sets, ', ')}, modified_at = now()
      from unnest(${join(sql, arrays.map((a) => sql`${a}::text[]`), ', ')}) as u(${sql.unsafe(aliases.join(', '))})
      where t.gsid = u.c0`;
  }
}
