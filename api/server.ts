// `npm run api`: the REST API alone (production and compose), against DATABASE_URL and TEMPORAL_ADDRESS.
import { apiHost, apiPort, databaseUrl, parseApiTokens, publicUrl, taskQueue, temporalAddress, temporalNamespace, temporalUiUrl } from '../config.js';
import { openDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { SecretBox } from '../services/secrets.js';
import { Outbound, outboundPolicyFromEnv } from '../services/outbound.js';
import { secretKey } from '../services/runtime.js';
import { connectTemporal } from '../temporal/context.js';
import { buildApp } from './app.js';

const tokens = parseApiTokens(process.env.API_TOKENS);
if (!tokens) throw new Error('API_TOKENS is not set: give at least one token as name:token:admin (see README).');
const key = await secretKey({ allowGenerated: false });
await migrateDatabase(databaseUrl());
const database = openDatabase(databaseUrl());
const temporal = await connectTemporal(temporalAddress() ?? '127.0.0.1:7233', temporalNamespace(), taskQueue());
const app = await buildApp({ database, temporal, secrets: new SecretBox(key), outbound: new Outbound(outboundPolicyFromEnv()), tokens, publicUrl: publicUrl(), temporalUiUrl: temporalUiUrl() }, { logger: true });
await app.listen({ port: apiPort(), host: apiHost() });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => Promise.all([database.close(), temporal.close()]))
      .then(() => process.exit(0));
  });
}
