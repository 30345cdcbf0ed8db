// The audit log: one row per changed attribute (and sub-attribute, for lists such as mappings),
// with old and new values. Secrets are masked before anything is written.
import type { Db } from '../db/client.js';
import { auditLog, type AuditRow } from '../db/schema.js';

export type AuditAction = 'Create' | 'Edit' | 'Delete';

export interface AuditEntity {
  type: 'connection' | 'job' | 'job_chain' | 'object_field';
  id: string;
  name: string | null;
  connector?: string | null;
  connectionId?: string | null;
  jobId?: string | null;
}

/** Items of these list attributes are told apart by a key, so each edit names its sub-attribute. */
const LIST_KEYS: Record<string, (item: Record<string, unknown>) => string> = {
  mappings: (m) => String(m.target),
  derivedMappings: (m) => String(m.target),
};

export function diffAttributes(before: Record<string, unknown> | null, after: Record<string, unknown> | null) {
  const rows: { attribute: string; subAttribute: string | null; action: AuditAction; oldValue: unknown; newValue: unknown }[] = [];
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const attribute of keys) {
    const oldValue = before?.[attribute] ?? null;
    const newValue = after?.[attribute] ?? null;
    if (JSON.stringify(oldValue) === JSON.stringify(newValue)) continue;
    const keyOf = LIST_KEYS[attribute];
    if (keyOf && Array.isArray(oldValue) && Array.isArray(newValue)) {
      rows.push(...diffList(attribute, oldValue as Record<string, unknown>[], newValue as Record<string, unknown>[], keyOf));
      continue;
    }
    const action: AuditAction = before === null ? 'Create' : after === null ? 'Delete' : 'Edit';
    rows.push({ attribute, subAttribute: null, action, oldValue, newValue });
  }
  return rows;
}

function diffList(attribute: string, before: Record<string, unknown>[], after: Record<string, unknown>[], keyOf: (item: Record<string, unknown>) => string) {
  const rows: ReturnType<typeof diffAttributes> = [];
  const old = new Map(before.map((item) => [keyOf(item), item]));
  const now = new Map(after.map((item) => [keyOf(item), item]));
  for (const [key, item] of now) {
    const previous = old.get(key);
    if (!previous) rows.push({ attribute, subAttribute: key, action: 'Create', oldValue: null, newValue: item });
    else if (JSON.stringify(previous) !== JSON.stringify(item)) rows.push({ attribute, subAttribute: key, action: 'Edit', oldValue: previous, newValue: item });
  }
  for (const [key, item] of old) if (!now.has(key)) rows.push({ attribute, subAttribute: key, action: 'Delete', oldValue: item, newValue: null });
  return rows;
}

export async function recordAudit(
  db: Pick<Db, 'insert'>,
  actor: string,
  entity: AuditEntity,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  additionalInfo: string | null = null,
): Promise<void> {
  const changes = diffAttributes(before, after);
  if (changes.length === 0) return;
  const rows: AuditRow[] = changes.map((c) => ({
    actor,
    entityType: entity.type,
    entityId: entity.id,
    entityName: entity.name,
    connector: entity.connector ?? null,
    connectionId: entity.connectionId ?? null,
    jobId: entity.jobId ?? null,
    attribute: c.attribute,
    subAttribute: c.subAttribute,
    action: before === null ? 'Create' : after === null ? 'Delete' : c.action,
    oldValue: c.oldValue,
    newValue: c.newValue,
    additionalInfo,
  }));
  await db.insert(auditLog).values(rows);
}
