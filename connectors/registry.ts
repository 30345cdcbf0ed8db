import type { Connector } from './types.js';
import { gainsightPx } from './gainsight-px/index.js';
import { bulkApi } from './bulk-api/index.js';
import { amazonS3 } from './s3/index.js';
import { salesforce } from './salesforce/index.js';

/** Adding a connector is one line here and a folder beside this file. */
const connectors: Connector[] = [gainsightPx, bulkApi, amazonS3, salesforce];

export const connectorRegistry: ReadonlyMap<string, Connector> = new Map(connectors.map((c) => [c.id, c]));

export function findConnector(id: string): Connector | undefined {
  return connectorRegistry.get(id);
}
