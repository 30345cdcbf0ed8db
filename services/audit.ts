// The audit log: one row per changed attribute (and sub-attribute, for lists such as mappings and
// for settings such as a schedule), with old and new values. Callers hand in documents whose
// secrets are already masked; nothing here ever sees a credential.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditLog, connections, type AuditRow } from '../db/schema.js';

export type AuditAction = 'Create' | 'Edit' | 'Delete';

export interface AuditEntity {
  type: 'connection' | 'job' | 'job_chain' | 'object_field';
  id: string;
  name: string | null;
  /** Filled from the connection when only connectionId is given, so logs filter by connector. */
  connector?: string | null;
  connectionId?: string | null;
  jobId?: string | null;
}

export interface AuditChange {
  attribute: string;
  subAttribute: string | null;
  action: AuditAction;
  oldValue: unknown;
  newValue: unknown;
}

type Parts = (value: unknown) => Map<string, unknown>;

const byKey =
  (keyOf: (item: Record<string, unknown>) => string): Parts =>
  (value) =>
    new Map((Array.isArray(value) ? (value as Record<string, unknown>[]) : []).map((item) => [keyOf(item), item]));

const byProperty: Parts = (value) => new Map(isRecord(value) ? Object.entries(value) : []);

const filterParts: Parts = (value) => {
  const spec = isRecord(value) ? value : {};
  const parts = byKey((c) => `condition ${String(c.id)}`)(spec.conditions);
  parts.set('logic', spec.logic ?? null);
  return parts;
};

/**
 * Attributes audited part by part, each part named as the sub-attribute: a mapping by its target
 * field, a filter condition by its id, a schedule or notification or connection setting by name.
 */
const PARTS: Record<string, Parts> = {
  mappings: byKey((m) => String(m.target)),
  derivedMappings: byKey((m) => String(m.target)),
  filters: filterParts,
  schedule: byProperty,
  notifications: byProperty,
  config: byProperty,
};

export function diffAttributes(before: Record<string, unknown> | null, after: Record<string, unknown> | null): AuditChange[] {
  const rows: AuditChange[] = [];
  const entityAction: AuditAction = before === null ? 'Create' : after === null ? 'Delete' : 'Edit';
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const attribute of keys) {
    const oldValue = before?.[attribute] ?? null;
    const newValue = after?.[attribute] ?? null;
    if (same(oldValue, newValue)) continue;
    const parts = Object.hasOwn(PARTS, attribute) ? PARTS[attribute] : undefined;
    if (entityAction === 'Edit' && parts && oldValue !== null && newValue !== null) {
      rows.push(...diffParts(attribute, parts(oldValue), parts(newValue)));
      continue;
    }
    const action: AuditAction = entityAction !== 'Edit' ? entityAction : oldValue === null ? 'Create' : newValue === null ? 'Delete' : 'Edit';
    rows.push({ attribute, subAttribute: null, action, oldValue, newValue });
  }
  return rows;
}

function diffParts(attribute: string, old: Map<string, unknown>, now: Map<string, unknown>): AuditChange[] {
  const rows: AuditChange[] = [];
  for (const [key, item] of now) {
    if (!old.has(key)) rows.push({ attribute, subAttribute: key, action: 'Create', oldValue: null, newValue: item });
    else if (!same(old.get(key), item)) rows.push({ attribute, subAttribute: key, action: 'Edit', oldValue: old.get(key) ?? null, newValue: item ?? null });
  }
  for (const [key, item] of old) if (!now.has(key)) rows.push({ attribute, subAttribute: key, action: 'Delete', oldValue: item, newValue: null });
  return rows;
}

/**
 * Writes the changes between two masked documents. `alsoChanged` names changes a diff cannot see,
 * such as a secret replaced by another (both sides read "********").
 */
export async function recordAudit(
  db: Pick<Db, 'insert' | 'select'>,
  actor: string,
  entity: AuditEntity,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  additionalInfo: string | null = null,
  alsoChanged: AuditChange[] = [],
): Promise<void> {
  const changes = [...diffAttributes(before, after), ...alsoChanged];
  if (changes.length === 0) return;
  const connector = entity.connector ?? (entity.connectionId ? await connectorOf(db, entity.connectionId) : null);
  const rows: AuditRow[] = changes.map((c) => ({
    actor,
    entityType: entity.type,
    entityId: entity.id,
    entityName: entity.name,
    connector,
    connectionId: entity.connectionId ?? null,
    jobId: entity.jobId ?? null,
    attribute: c.attribute,
    subAttribute: c.subAttribute,
    action: c.action,
    oldValue: c.oldValue,
    newValue: c.newValue,
    additionalInfo,
  }));
  await db.insert(auditLog).values(rows);
}

async function connectorOf(db: Pick<Db, 'select'>, connectionId: string): Promise<string | null> {
  const [row] = await db.select({ connector: connections.connector }).from(connections).where(eq(connections.id, connectionId));
  return row?.connector ?? null;
}

/** Compared with keys sorted: PostgreSQL's jsonb hands objects back in its own key order. */
function same(a: unknown, b: unknown): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
