// Salesforce's describe answers as Syncline's source objects: every field with its Salesforce type
// (`sourceType`) and the type the engine converts from. The describe is also what the reader checks
// a job's fields against and types Bulk API CSV values by.
import type { SourceField, SourceObject } from '../types.js';
import { invalidConfiguration } from '../../sync/errors.js';
import type { SalesforceApi } from './api.js';

export interface SfFieldInfo {
  name: string;
  label: string;
  type: string;
  custom: boolean;
  filterable: boolean;
}

export interface SfObjectInfo {
  name: string;
  label: string;
  custom: boolean;
  fields: SfFieldInfo[];
}

interface GlobalAnswer {
  sobjects: { name: string; label: string; custom: boolean; queryable: boolean }[];
}

/** Standard objects a customer-success platform reads; with every custom object, what the object list describes. */
export const LISTED_STANDARD_OBJECTS = ['Account', 'Contact', 'Lead', 'Opportunity', 'Case', 'Campaign', 'Contract', 'Asset', 'Product2', 'Order', 'User', 'Task', 'Event'];
/** Describes in flight at once when listing objects. */
const DESCRIBE_CONCURRENCY = 4;

/** Salesforce field types → the type the engine converts from; anything else reads as text. */
const TYPES: Record<string, SourceField['type']> = {
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  double: 'number',
  currency: 'number',
  percent: 'number',
  date: 'date',
  datetime: 'datetime',
  address: 'object',
  location: 'object',
};

export const NUMBER_TYPES = new Set(['int', 'long', 'double', 'currency', 'percent']);
/** Compared as text by SOQL (without regard to case): what `=`, IN and LIKE push-down accept. */
export const TEXT_TYPES = new Set(['id', 'reference', 'string', 'picklist', 'email', 'phone', 'url', 'textarea', 'combobox']);
/** Where LIKE is allowed and means what the engine's contains/starts/ends mean. */
export const LIKE_TYPES = new Set(['string', 'email', 'phone', 'url', 'textarea', 'combobox']);

export function toSourceObject(info: SfObjectInfo): SourceObject {
  return {
    name: info.name,
    label: info.label,
    idField: 'Id',
    custom: info.custom,
    fields: info.fields.map((f) => ({ name: f.name, type: TYPES[f.type] ?? 'string', custom: f.custom, sourceType: f.type, label: f.label, filterable: f.filterable })),
  };
}

export async function describeGlobal(api: SalesforceApi): Promise<GlobalAnswer['sobjects']> {
  const answer = await api.json<GlobalAnswer>('GET', '/sobjects');
  return (answer?.sobjects ?? []).filter((o) => o.queryable);
}

export async function describeObject(api: SalesforceApi, name: string): Promise<SfObjectInfo> {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(name)) throw invalidConfiguration(`"${name}" is not a Salesforce object name (letters, digits and underscores, e.g. Account or Subscription__c).`);
  let answer: { name: string; label: string; custom: boolean; fields: SfFieldInfo[] };
  try {
    answer = await api.json('GET', `/sobjects/${name}/describe`);
  } catch (error) {
    if (error instanceof Error && / 404 /.test(error.message)) throw invalidConfiguration(`Salesforce has no object "${name}" this user can read. GET /v1/connections/:id/objects lists them (object names are case-sensitive here: Account, Subscription__c).`);
    throw error;
  }
  return {
    name: answer.name,
    label: answer.label,
    custom: answer.custom,
    fields: answer.fields.map((f) => ({ name: f.name, label: f.label, type: f.type, custom: f.custom, filterable: f.filterable })),
  };
}

/** The objects a person chooses among: the standard CRM objects the org has and all custom ones, described. */
export async function describeListed(api: SalesforceApi): Promise<SfObjectInfo[]> {
  const listed = (await describeGlobal(api)).filter((o) => o.custom || LISTED_STANDARD_OBJECTS.includes(o.name));
  const described: SfObjectInfo[] = [];
  for (let i = 0; i < listed.length; i += DESCRIBE_CONCURRENCY) {
    described.push(...(await Promise.all(listed.slice(i, i + DESCRIBE_CONCURRENCY).map((o) => describeObject(api, o.name)))));
  }
  return described;
}
