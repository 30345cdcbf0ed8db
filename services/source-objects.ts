// A connection's source objects, as its connector describes them. Connectors whose describe calls
// cost (one API call per Salesforce object) have the answer kept for a while; `refresh` asks again.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { sourceObjectCache } from '../db/schema.js';
import type { Connector, ConnectorSession, SourceObject } from '../connectors/types.js';

export interface DescribedObjects {
  objects: SourceObject[];
  fetchedAt: Date;
}

export async function describedObjects(db: Db, connectionId: string, connector: Connector, open: () => Promise<ConnectorSession>, refresh: boolean): Promise<DescribedObjects> {
  const ttlSeconds = connector.objectsCacheSeconds;
  if (ttlSeconds === undefined) return { objects: await (await open()).describeObjects(), fetchedAt: new Date() };
  if (!refresh) {
    const [cached] = await db.select().from(sourceObjectCache).where(eq(sourceObjectCache.connectionId, connectionId));
    if (cached && Date.now() - cached.fetchedAt.getTime() < ttlSeconds * 1000) return { objects: cached.objects as SourceObject[], fetchedAt: cached.fetchedAt };
  }
  const objects = await (await open()).describeObjects();
  const fetchedAt = new Date();
  await db
    .insert(sourceObjectCache)
    .values({ connectionId, objects, fetchedAt })
    .onConflictDoUpdate({ target: sourceObjectCache.connectionId, set: { objects, fetchedAt } });
  return { objects, fetchedAt };
}

/** A change of settings may mean another org: what was described of the old one goes. */
export async function forgetObjects(db: Db, connectionId: string): Promise<void> {
  await db.delete(sourceObjectCache).where(eq(sourceObjectCache.connectionId, connectionId));
}
