// `npx tsx connectors/salesforce/simulator/main.ts`: a Salesforce simulator for local runs,
// configured from the environment (see connectors/salesforce/README.md).
import { readFileSync } from 'node:fs';
import { defaultOrgs } from './orgs.js';
import { startSalesforceSimulator } from './server.js';
import { DEMO_APP } from './demo.js';
import { integerFromEnv } from '../../simulators.js';

const keyFile = process.env.SF_SIM_JWT_PUBLIC_KEY_FILE;
const simulator = await startSalesforceSimulator({
  port: integerFromEnv('SF_SIM_PORT', 4020),
  host: process.env.SF_SIM_HOST || '127.0.0.1',
  app: {
    clientId: process.env.SF_SIM_CLIENT_ID || DEMO_APP.clientId,
    clientSecret: process.env.SF_SIM_CLIENT_SECRET || DEMO_APP.clientSecret,
    callbackUrls: (process.env.SF_SIM_CALLBACK_URLS || DEMO_APP.callbackUrls.join(',')).split(',').map((u) => u.trim()).filter((u) => u !== ''),
    ...(keyFile ? { jwtPublicKey: readFileSync(keyFile, 'utf8') } : {}),
  },
  orgs: defaultOrgs({ accounts: integerFromEnv('SF_SIM_ACCOUNTS', 250), contacts: integerFromEnv('SF_SIM_CONTACTS', 600), seed: integerFromEnv('SF_SIM_SEED', 1) }),
  accessTokenTtlMs: integerFromEnv('SF_SIM_ACCESS_TOKEN_TTL_MS', 2 * 3600_000),
});
console.log(`Salesforce simulator listening on ${simulator.url} (controls under ${simulator.url}/__sim); orgs:`);
for (const org of simulator.orgs.orgs) console.log(`  ${org.host}  ${org.sandbox ? 'sandbox' : 'production'}  ${org.id}  ${org.username}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Salesforce simulator: failed to stop cleanly', error);
        process.exit(1);
      },
    );
  });
}
