// How records leave the simulator: REST JSON (with `attributes`, datetimes as
// 2024-03-07T10:00:00.000+0000) and Bulk API 2.0 CSV (every value quoted, datetimes as
// 2024-03-07T10:00:00.000Z, a null as an empty value: Salesforce keeps no empty strings, so the two
// cannot be told apart and need not be).
import { stringify } from 'csv-stringify/sync';
import type { SfRecord, SfValue } from './data.js';
import type { SfField, SfObject } from './schema.js';

export function restRecord(object: SfObject, fields: readonly SfField[], record: SfRecord, apiVersion: string): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: { type: object.name, url: `/services/data/v${apiVersion}/sobjects/${object.name}/${String(record.Id)}` } };
  for (const field of fields) out[field.name] = restValue(field, record[field.name] ?? null);
  return out;
}

function restValue(field: SfField, value: SfValue): SfValue {
  if (value === null) return null;
  if (field.type === 'datetime') return new Date(value as number).toISOString().replace('Z', '+0000');
  return value;
}

export function csvRows(fields: readonly SfField[], records: readonly SfRecord[], withHeader: boolean): string {
  const rows = records.map((record) => fields.map((field) => csvValue(field, record[field.name] ?? null)));
  return stringify(withHeader ? [fields.map((f) => f.name), ...rows] : rows, { quoted: true, quoted_empty: true, record_delimiter: 'unix' });
}

function csvValue(field: SfField, value: SfValue): string {
  if (value === null) return '';
  if (field.type === 'datetime') return new Date(value as number).toISOString();
  return String(value);
}
