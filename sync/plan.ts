// A job's configuration checked against object metadata and compiled into what a run executes.
import type { DerivedMapping, Mapping, ModificationType } from './types.js';
import { objectDef, writableFields, type FieldDef, type ObjectDef } from './objects.js';
import { validateFilterSpec } from './filters.js';

export interface JobConfig {
  id: string;
  name: string;
  targetObject: string;
  modificationType: ModificationType;
  mappings: Mapping[];
  derivedMappings: DerivedMapping[];
  filters: { conditions: { id: string; field: string; op: string; value?: unknown }[]; logic?: string | null };
}

export interface PlannedField {
  /** Dotted source path, or null for a value filled by a lookup. */
  source: string | null;
  field: FieldDef;
  /** Written to the resolved person rather than the target row itself. */
  onPerson: boolean;
}

export interface PlannedLookup {
  mapping: DerivedMapping;
  object: ObjectDef;
  target: FieldDef;
  returnField: FieldDef;
  matchFields: { source: string; field: FieldDef }[];
}

export interface SyncPlan {
  object: ObjectDef;
  person: ObjectDef | null;
  modificationType: ModificationType;
  fields: PlannedField[];
  lookups: PlannedLookup[];
  /** Target fields that identify a row (for company_person: the person plus its scope). */
  keyFields: FieldDef[];
  /** The key field that may be empty: what a company person belongs to (a person may have no company). */
  scopeField: FieldDef | null;
  /** The Person Resolution Key's fields when the target resolves a person. */
  personKey: FieldDef[] | null;
}

export interface PlanProblem {
  path: string;
  message: string;
}

export class PlanError extends Error {
  constructor(readonly problems: PlanProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

const MAX_LOOKUP_FIELDS = 6;

/** Every way a job's configuration is inconsistent with the objects, each naming its field. */
export function checkJobConfig(job: JobConfig, meta: Record<string, ObjectDef>): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const object = objectDef(meta, job.targetObject);
  if (!object) return [{ path: '/target/object', message: `target object "${job.targetObject}" does not exist; use one of ${Object.keys(meta).join(', ')}` }];
  const writable = writableFields(meta, object.name);
  const targets = new Set<string>();
  job.mappings.forEach((m, i) => {
    if (!writable.some((f) => f.name === m.target)) {
      problems.push({ path: `/mappings/${i}/target`, message: `"${m.target}" is not a writable field of ${object.name}; add it as a custom field or pick one of ${writable.map((f) => f.name).join(', ')}` });
    }
    if (targets.has(m.target)) problems.push({ path: `/mappings/${i}/target`, message: `"${m.target}" is mapped twice; keep one mapping per target field` });
    targets.add(m.target);
    if (!m.source.trim()) problems.push({ path: `/mappings/${i}/source`, message: 'source must name a source field' });
  });
  job.derivedMappings.forEach((d, i) => {
    const path = `/derivedMappings/${i}`;
    const lookupObject = objectDef(meta, d.object);
    if (!lookupObject) {
      problems.push({ path: `${path}/object`, message: `lookup object "${d.object}" does not exist` });
      return;
    }
    if (d.kind === 'self' && d.object !== object.name) {
      problems.push({ path: `${path}/object`, message: `a self lookup finds records of the target object itself: set object to "${object.name}", or make it a direct lookup` });
    }
    const target = object.fields.find((f) => f.name === d.target);
    if (!target || target.type !== 'gsid') problems.push({ path: `${path}/target`, message: `"${d.target}" is not a GSID field of ${object.name}` });
    if (targets.has(d.target)) problems.push({ path: `${path}/target`, message: `"${d.target}" is already filled by another mapping` });
    targets.add(d.target);
    if (d.match.length === 0 || d.match.length > MAX_LOOKUP_FIELDS) problems.push({ path: `${path}/match`, message: `a lookup matches on 1 to ${MAX_LOOKUP_FIELDS} fields` });
    d.match.forEach((m, j) => {
      if (!lookupObject.fields.some((f) => f.name === m.field)) problems.push({ path: `${path}/match/${j}/field`, message: `"${m.field}" is not a field of ${d.object}` });
    });
    if (d.returnField && !lookupObject.fields.some((f) => f.name === d.returnField)) {
      problems.push({ path: `${path}/returnField`, message: `"${d.returnField}" is not a field of ${d.object}` });
    }
  });
  for (const key of object.resolves?.keys ?? []) {
    if (!job.mappings.some((m) => m.target === key)) {
      problems.push({ path: '/mappings', message: `${object.name} records belong to a person found by the Person Resolution Key (${object.resolves!.keys.join(', ')}): map a source field to "${key}"` });
    }
  }
  for (const message of validateFilterSpec(job.filters as never)) problems.push({ path: '/filters', message });
  return problems;
}

/** Problems that stop a job from running at all (the API answers 422 with them). */
export function checkRunnable(job: JobConfig): PlanProblem[] {
  if (job.mappings.some((m) => m.upsertKey)) return [];
  return [{ path: '/mappings', message: `Job "${job.name}" has no upsert key: mark at least one mapping with "upsertKey": true (for example the mapping to px_account_id) and try again.` }];
}

export function buildPlan(job: JobConfig, meta: Record<string, ObjectDef>): SyncPlan {
  const problems = [...checkJobConfig(job, meta), ...checkRunnable(job)];
  if (problems.length > 0) throw new PlanError(problems);
  const object = objectDef(meta, job.targetObject)!;
  const person = object.resolves ? objectDef(meta, object.resolves.object)! : null;
  const ownField = (name: string) => object.fields.find((f) => f.name === name);
  const fields: PlannedField[] = job.mappings.map((m) => {
    const own = ownField(m.target);
    return own
      ? { source: m.source, field: own, onPerson: false }
      : { source: m.source, field: person!.fields.find((f) => f.name === m.target)!, onPerson: true };
  });
  const lookups: PlannedLookup[] = job.derivedMappings.map((d) => {
    const lookupObject = objectDef(meta, d.object)!;
    const byName = (name: string) => lookupObject.fields.find((f) => f.name === name)!;
    return {
      mapping: d,
      object: lookupObject,
      target: ownField(d.target)!,
      returnField: byName(d.returnField ?? 'gsid'),
      matchFields: d.match.map((m) => ({ source: m.source, field: byName(m.field) })),
    };
  });
  const keyMappings = fields.filter((f, i) => job.mappings[i]!.upsertKey);
  if (!object.resolves) {
    return { object, person, modificationType: job.modificationType, fields, lookups, keyFields: keyMappings.map((k) => k.field), scopeField: null, personKey: null };
  }
  // A company person is one row per person and scope: the person comes from its resolution key.
  const personKey = object.resolves.keys.map((key) => person!.fields.find((f) => f.name === key)!);
  const own = keyMappings.filter((k) => !k.onPerson).map((k) => k.field);
  const filled = new Set([...job.mappings.map((m) => m.target), ...job.derivedMappings.map((d) => d.target)]);
  const { scopes } = object.resolves;
  const scopeField = ownField(scopes.find((s) => filled.has(s)) ?? scopes[scopes.length - 1]!)!;
  const identity = [ownField(object.resolves.via)!, scopeField];
  return {
    object,
    person,
    modificationType: job.modificationType,
    fields,
    lookups,
    keyFields: [...identity, ...own.filter((f) => !identity.includes(f))],
    scopeField,
    personKey,
  };
}
