import type { Db } from '../db/client.js';
import { customFields } from '../db/schema.js';
import { buildObjectMetadata, type ObjectDef } from '../sync/objects.js';
import { loadPersonKey } from './person-key.js';

/** Standard plus custom fields of every object, and the Person Resolution Key, as they are now. */
export async function loadObjectMetadata(db: Pick<Db, 'select'>): Promise<Record<string, ObjectDef>> {
  const [custom, personKey] = await Promise.all([db.select().from(customFields), loadPersonKey(db)]);
  return buildObjectMetadata(custom, personKey);
}
