import type { Db } from '../db/client.js';
import { customFields } from '../db/schema.js';
import { buildObjectMetadata, type ObjectDef } from '../sync/objects.js';

/** Standard plus custom fields of every object, as they are now. */
export async function loadObjectMetadata(db: Pick<Db, 'select'>): Promise<Record<string, ObjectDef>> {
  const custom = await db.select().from(customFields);
  return buildObjectMetadata(custom);
}
