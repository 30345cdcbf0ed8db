import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { connections } from '../db/schema.js';
import { findConnector } from '../connectors/registry.js';
import type { ConnectorSession } from '../connectors/types.js';
import { invalidConfiguration } from '../sync/errors.js';
import type { SecretBox } from './secrets.js';
import { grantKeeper, grantOf } from './authorization.js';
import type { Outbound } from './outbound.js';

/**
 * Opens a session on a connection's source, decrypting its credentials (and its grant's tokens) only
 * here. A run passes the settings it began with (services/run-configuration.ts); the credentials and
 * the grant are always the current ones.
 */
export async function openSession(db: Db, secrets: SecretBox, outbound: Outbound, connectionId: string, config?: Record<string, unknown>): Promise<ConnectorSession> {
  const [connection] = await db.select().from(connections).where(eq(connections.id, connectionId));
  if (!connection) throw invalidConfiguration(`Connection ${connectionId} no longer exists.`);
  const connector = findConnector(connection.connector);
  if (!connector) throw invalidConfiguration(`Connector "${connection.connector}" is not available in this version of Syncline.`);
  return connector.open(
    { config: config ?? connection.config, secrets: secrets.open(connection.secrets), grant: grantOf(secrets, connection) },
    { sql: db.$client, outbound, grants: grantKeeper(db, secrets, outbound, connection.id) },
  );
}
