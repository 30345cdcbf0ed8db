// The data platform's target objects. Standard fields are defined here; custom fields come from
// the `custom_fields` table. Only names found in this metadata ever reach SQL.
import type { FieldType } from './types.js';

export interface FieldDef {
  name: string;
  type: FieldType;
  label: string;
  standard: boolean;
  /** Managed by the platform; never written by a mapping. */
  readOnly?: boolean;
  integer?: boolean;
  /** Has a B-tree index, which bounds the length of its text (see sync/convert.ts). */
  indexed?: boolean;
}

/**
 * Company Person rows hang off a Person that is resolved first, by the platform's Person
 * Resolution Key (email unless an admin chose other person fields before the first person was
 * written); its mappings may name the person's fields, which are written to the person record.
 */
export interface PersonResolution {
  object: 'person';
  via: string;
  /** The Person Resolution Key: the person fields that identify a person, all of which must match. */
  keys: string[];
  fields: string[];
  /**
   * What a row belongs to besides its person, most specific first. A row is one per person and
   * the first of these the job fills; the last one when it fills none.
   */
  scopes: string[];
}

export interface ObjectDef {
  name: string;
  label: string;
  fields: FieldDef[];
  resolves?: PersonResolution;
}

/** The Person Resolution Key until an admin chooses another (services/person-key.ts). */
export const DEFAULT_PERSON_KEY: readonly string[] = ['email'];

const gsid: FieldDef = { name: 'gsid', type: 'gsid', label: 'GSID', standard: true, readOnly: true };
const created: FieldDef = { name: 'created_at', type: 'datetime', label: 'Created Date', standard: true, readOnly: true };
const modified: FieldDef = { name: 'modified_at', type: 'datetime', label: 'Modified Date', standard: true, readOnly: true };

const field = (name: string, type: FieldType, label: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  label,
  standard: true,
  ...extra,
});

const personFields: FieldDef[] = [
  field('email', 'email', 'Email', { indexed: true }),
  field('first_name', 'string', 'First Name'),
  field('last_name', 'string', 'Last Name'),
];

export const STANDARD_OBJECTS: Record<string, ObjectDef> = {
  company: {
    name: 'company',
    label: 'Company',
    fields: [
      gsid,
      field('name', 'string', 'Name', { indexed: true }),
      field('industry', 'string', 'Industry'),
      field('employees', 'number', 'Employees', { integer: true }),
      field('arr', 'number', 'ARR'),
      field('website', 'string', 'Website'),
      field('px_account_id', 'string', 'PX Account ID', { indexed: true }),
      field('number_of_users', 'number', 'Number of Users', { integer: true }),
      field('sfdc_account_id', 'string', 'SFDC Account ID', { indexed: true }),
      created,
      modified,
    ],
  },
  person: {
    name: 'person',
    label: 'Person',
    fields: [gsid, ...personFields, created, modified],
  },
  company_person: {
    name: 'company_person',
    label: 'Company Person',
    fields: [
      gsid,
      field('person_id', 'gsid', 'Person ID'),
      field('company_id', 'gsid', 'Company ID'),
      field('role', 'string', 'Role'),
      field('sign_up_date', 'datetime', 'Sign Up Date'),
      field('px_user_id', 'string', 'PX User ID'),
      field('instance_id', 'gsid', 'Instance ID'),
      created,
      modified,
    ],
    // Per instance when a job records instances: an instance can be re-linked to another company,
    // and its company persons must follow it rather than be left behind under the old company.
    resolves: { object: 'person', via: 'person_id', keys: [...DEFAULT_PERSON_KEY], fields: personFields.map((f) => f.name), scopes: ['instance_id', 'company_id'] },
  },
  company_instance: {
    name: 'company_instance',
    label: 'Company Instance',
    fields: [
      gsid,
      field('company_id', 'gsid', 'Company ID'),
      field('name', 'string', 'Name'),
      field('px_account_id', 'string', 'PX Account ID', { indexed: true }),
      field('number_of_users', 'number', 'Number of Users', { integer: true }),
      created,
      modified,
    ],
  },
};

export const CUSTOM_FIELD_SUFFIX = '__gc';
export const CUSTOM_FIELD_PATTERN = /^[a-z][a-z0-9_]{0,50}__gc$/;

export interface CustomFieldRow {
  object: string;
  name: string;
  type: string;
  label: string;
}

/** The full metadata of every object: standard fields plus the admins' custom fields, and the Person Resolution Key. */
export function buildObjectMetadata(custom: CustomFieldRow[], personKey: readonly string[] = DEFAULT_PERSON_KEY): Record<string, ObjectDef> {
  const result: Record<string, ObjectDef> = {};
  for (const [name, def] of Object.entries(STANDARD_OBJECTS)) {
    const extra = custom
      .filter((c) => c.object === name)
      .map((c): FieldDef => ({ name: c.name, type: c.type as FieldType, label: c.label, standard: false }));
    result[name] = { ...def, fields: [...def.fields, ...extra], ...(def.resolves ? { resolves: { ...def.resolves, keys: [...personKey] } } : {}) };
  }
  return result;
}

/**
 * The object of that name, or undefined. Names come from requests and job documents, so only the
 * metadata's own keys count: `constructor`, `toString` or `__proto__` are no objects.
 */
export function objectDef(meta: Record<string, ObjectDef>, name: string): ObjectDef | undefined {
  return Object.hasOwn(meta, name) ? meta[name] : undefined;
}

/** Fields a mapping may write on an object, including a resolved person's fields. */
export function writableFields(meta: Record<string, ObjectDef>, object: string): FieldDef[] {
  const def = objectDef(meta, object);
  if (!def) return [];
  const own = def.fields.filter((f) => !f.readOnly);
  if (!def.resolves) return own;
  const person = objectDef(meta, def.resolves.object);
  const personWritable = (person?.fields ?? []).filter((f) => !f.readOnly);
  return [...own, ...personWritable.filter((f) => !own.some((o) => o.name === f.name))];
}

/** SQL column type for a custom field of the given type. */
export function columnTypeOf(type: FieldType): string {
  switch (type) {
    case 'number':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamptz';
    default:
      return 'text';
  }
}
