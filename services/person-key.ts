// The Person Resolution Key: the person fields that say two records are one person (email, without
// case, unless an admin chooses others). It belongs to the platform rather than to a job, because
// persons are shared by every job that writes them and one unique index keeps them one: it is
// chosen before the first person is written and locked from then on, as the fields that resolve
// persons must not change under the persons they resolved.
import { eq, sql as dsql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { platformSettings } from '../db/schema.js';
import { conflict, badRequest, type ErrorDetail } from '../api/errors.js';
import { buildObjectMetadata, DEFAULT_PERSON_KEY, objectDef } from '../sync/objects.js';
import { customFields } from '../db/schema.js';
import { recordAudit } from './audit.js';

const SETTING = 'person_resolution_key';
const MAX_KEY_FIELDS = 4;
/** The unique index that keeps one person per key; its name never changes, whatever the key. */
const KEY_INDEX = 'person_resolution_key_idx';
/** The index migrations made for the default key, replaced by KEY_INDEX once a key is chosen. */
const DEFAULT_KEY_INDEX = 'person_email_ci_idx';
/** Lookups by email stay fast when email leads no key. */
const EMAIL_INDEX = 'person_email_idx';

export async function loadPersonKey(db: Pick<Db, 'select'>): Promise<string[]> {
  const [row] = await db.select({ value: platformSettings.value }).from(platformSettings).where(eq(platformSettings.key, SETTING));
  return Array.isArray(row?.value) ? (row.value as string[]) : [...DEFAULT_PERSON_KEY];
}

export interface PersonKeyView {
  fields: string[];
  /** Persons exist: the key resolved them, so it can no longer change. */
  locked: boolean;
}

export async function personKeyView(db: Db): Promise<PersonKeyView> {
  const fields = await loadPersonKey(db);
  return { fields, locked: await personsExist(db) };
}

/**
 * Chooses the key: 400 naming a field that is not a person field, 409 once persons exist. The
 * person table's unique index is rebuilt on the key, so PostgreSQL itself keeps one person per key.
 */
export async function choosePersonKey(db: Db, actor: string, fields: string[]): Promise<PersonKeyView> {
  const custom = await db.select().from(customFields);
  const person = objectDef(buildObjectMetadata(custom), 'person')!;
  const problems: ErrorDetail[] = [];
  if (fields.length === 0 || fields.length > MAX_KEY_FIELDS) problems.push({ path: '/fields', message: `the key is 1 to ${MAX_KEY_FIELDS} person fields` });
  fields.forEach((name, i) => {
    const field = person.fields.find((f) => f.name === name);
    if (!field || field.readOnly) problems.push({ path: `/fields/${i}`, message: `"${name}" is not a person field; use email, first_name, last_name or a custom person field (…__gc)` });
    else if (fields.indexOf(name) !== i) problems.push({ path: `/fields/${i}`, message: `"${name}" is listed twice` });
  });
  if (problems.length > 0) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);

  return db.transaction(async (tx) => {
    // The lock every writer of persons takes: no run writes a person while the key changes.
    await tx.execute(dsql`select pg_advisory_xact_lock(hashtext('syncline:object:person'))`);
    const before = await loadPersonKey(tx);
    if (await personsExist(tx)) {
      if (JSON.stringify(before) === JSON.stringify(fields)) return { fields, locked: true };
      throw conflict('person_key_locked', `The Person Resolution Key (${before.join(', ')}) is locked: persons were resolved by it. It can be chosen only before the first person is written.`, [{ path: '/fields', message: 'locked since the first person was written' }]);
    }
    const columns = fields.map((name) => (person.fields.find((f) => f.name === name)!.type === 'email' ? `lower("${name}")` : `"${name}"`));
    // Names come from the person's metadata above, so they are safe to write into the statement.
    await tx.execute(dsql.raw(`drop index if exists "${DEFAULT_KEY_INDEX}"`));
    await tx.execute(dsql.raw(`drop index if exists "${KEY_INDEX}"`));
    await tx.execute(dsql.raw(`create unique index "${KEY_INDEX}" on person (${columns.join(', ')})`));
    if (fields[0] === 'email') await tx.execute(dsql.raw(`drop index if exists "${EMAIL_INDEX}"`));
    else await tx.execute(dsql.raw(`create index if not exists "${EMAIL_INDEX}" on person (lower(email))`));
    await tx
      .insert(platformSettings)
      .values({ key: SETTING, value: fields })
      .onConflictDoUpdate({ target: platformSettings.key, set: { value: fields, updatedAt: new Date() } });
    await recordAudit(tx, actor, { type: 'object_field', id: 'person.resolution_key', name: 'Person Resolution Key' }, { personResolutionKey: before }, { personResolutionKey: fields });
    return { fields, locked: false };
  });
}

async function personsExist(db: Pick<Db, 'execute'>): Promise<boolean> {
  const rows = await db.execute<{ found: boolean }>(dsql`select exists (select 1 from person) as found`);
  return rows[0]?.found === true;
}
