// `npm run dev`: the whole service on an embedded default. PostgreSQL database created and migrated,
// the Temporal dev server spawned (unless TEMPORAL_ADDRESS names one), the PX and Salesforce
// simulators with demo data and demo connections (unless DEMO=0), the worker and the API. Ctrl-C
// stops it all.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import {
  apiHost,
  apiPort,
  databaseUrl,
  demoEnabled,
  intFromEnv,
  notifyFrom,
  parseApiTokens,
  publicUrl,
  smtpUrl,
  taskQueue,
  temporalAddress,
  temporalNamespace,
  temporalPort,
  temporalUiPort,
  temporalUiUrl,
  type ApiToken,
} from '../config.js';
import { openDatabase, type Database } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { connections, jobs } from '../db/schema.js';
import { buildApp } from '../api/app.js';
import { createWorker } from '../worker.js';
import { SecretBox } from '../services/secrets.js';
import { createNotifier } from '../services/notifier.js';
import { LOOPBACK_POLICY, Outbound, outboundPolicyFromEnv, type OutboundPolicy } from '../services/outbound.js';
import { DATA_DIR, secretKey } from '../services/runtime.js';
import { createConnection } from '../services/connections.js';
import { newId } from '../services/ids.js';
import { connectTemporal } from '../temporal/context.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { workerLogger } from '../temporal/worker-logger.js';
import { startPxSimulator, type PxSimulator } from '../connectors/gainsight-px/simulator/index.js';
import { DEMO_APP, defaultOrgs, startSalesforceSimulator, type SalesforceSimulator } from '../connectors/salesforce/simulator/index.js';
import { setConnectionStatus } from '../services/connections.js';
import { welcomeText } from './welcome.js';

const DEMO_PX_KEY = 'px-demo-key';
const DEMO_CONNECTION = 'Connect to PX';
const DEMO_SALESFORCE_CONNECTION = 'Acme Salesforce';

const stops: (() => Promise<unknown>)[] = [];
// Our own handlers stop everything in order; the Temporal runtime must not exit on its own.
Runtime.install({ shutdownSignals: [], logger: workerLogger('WARN') });

async function main(): Promise<void> {
  const configured = parseApiTokens(process.env.API_TOKENS);
  const tokens = configured ?? devTokens();
  // The demo's simulator listens on 127.0.0.1, which the outbound policy refuses unless allowed.
  const policy = withLoopback(outboundPolicyFromEnv());
  const outbound = new Outbound(policy);
  const key = await secretKey({ allowGenerated: true });
  const url = databaseUrl();
  await migrateDatabase(url);
  const database = openDatabase(url);
  stops.push(() => database.close());

  let devServer: DevServer | null = null;
  let address = temporalAddress();
  if (!address) {
    devServer = await startDevServer({ port: temporalPort(), uiPort: temporalUiPort(), dbFile: join(DATA_DIR, 'temporal.sqlite') });
    stops.push(() => devServer!.stop());
    address = devServer.address;
  }
  const temporal = await connectTemporal(address, temporalNamespace(), taskQueue());
  stops.push(() => temporal.close());
  const secrets = new SecretBox(key);

  const px = demoEnabled() ? await startPxSimulator({ port: intFromEnv('PX_SIM_PORT', 4010), apiKey: DEMO_PX_KEY, data: { accounts: intFromEnv('PX_SIM_ACCOUNTS', 200), users: intFromEnv('PX_SIM_USERS', 2000), seed: 1 } }) : null;
  if (px) stops.push(() => px.close());
  const salesforce = demoEnabled() ? await startSalesforceDemo() : null;
  if (salesforce) stops.push(() => salesforce.close());

  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    namespace: temporalNamespace(),
    deps: { database, secrets, temporal, outbound, notifier: createNotifier({ smtpUrl: smtpUrl(), from: notifyFrom(), outbound }) },
  });
  const workerDone = worker.run();
  stops.unshift(async () => {
    worker.shutdown();
    await workerDone;
    await connection.close();
  });

  const uiUrl = process.env.TEMPORAL_UI_URL || devServer?.uiUrl || temporalUiUrl();
  const app = await buildApp({ database, temporal, secrets, outbound, tokens, publicUrl: publicUrl(), temporalUiUrl: uiUrl }, { logger: true });
  await app.listen({ port: apiPort(), host: apiHost() });
  stops.unshift(() => app.close());

  const demoJob = px ? await prepareDemo(database, secrets, outbound, px) : null;
  const salesforceConnection = salesforce ? await prepareSalesforceDemo(database, secrets, outbound) : null;
  console.log(
    welcomeText({
      base: publicUrl(),
      temporalUi: devServer ? devServer.uiUrl : `(external Temporal at ${temporalAddress()})`,
      pxSimulator: px ? { url: px.url, apiKey: DEMO_PX_KEY } : null,
      demoJob,
      salesforce: salesforce && salesforceConnection ? { url: salesforce.url, hosts: salesforce.orgs.orgs.map((o) => o.host), connectionId: salesforceConnection } : null,
      tokens,
      generated: configured === null,
      outbound: `requests may reach ${policy.allowedNetworks.join(', ')} (and hosts ${policy.allowedHosts.join(', ')}) besides public addresses`,
    }),
  );
}

/**
 * The Salesforce simulator, standing in for every Salesforce host: the connector reaches it through
 * SALESFORCE_SIMULATOR_URL, which is set here unless the operator set it.
 */
async function startSalesforceDemo(): Promise<SalesforceSimulator> {
  const simulator = await startSalesforceSimulator({
    port: intFromEnv('SF_SIM_PORT', 4020),
    app: { ...DEMO_APP, callbackUrls: [...new Set([...DEMO_APP.callbackUrls, `${publicUrl()}/v1/oauth/callback`])] },
    orgs: defaultOrgs({ accounts: intFromEnv('SF_SIM_ACCOUNTS', 250), contacts: intFromEnv('SF_SIM_CONTACTS', 600), seed: 1 }),
  });
  process.env.SALESFORCE_SIMULATOR_URL ??= simulator.url;
  return simulator;
}

/**
 * A Salesforce connection to the simulator's production org, waiting to be authorized. A restarted
 * simulator has forgotten every grant, so a connection kept from an earlier run is authorized anew.
 */
async function prepareSalesforceDemo(database: Database, secrets: SecretBox, outbound: Outbound): Promise<string> {
  const { db } = database;
  const [existing] = await db.select().from(connections).where(eq(connections.name, DEMO_SALESFORCE_CONNECTION));
  if (!existing) {
    const created = await createConnection(db, secrets, outbound, 'demo', newId('conn'), { connector: 'salesforce', name: DEMO_SALESFORCE_CONNECTION, config: { orgType: 'production', clientId: DEMO_APP.clientId, clientSecret: DEMO_APP.clientSecret } }, () => newId('job'));
    return created.id;
  }
  if (existing.credentials) {
    await db.update(connections).set({ credentials: null }).where(eq(connections.id, existing.id));
    await setConnectionStatus(db, existing.id, 'needs_authorization', 'The demo Salesforce simulator restarted and forgot every grant: authorize the connection again.');
  }
  return existing.id;
}

function devTokens(): ApiToken[] {
  return [{ name: 'dev-admin', token: `dev-${randomBytes(24).toString('base64url')}`, role: 'admin' }];
}

function withLoopback(policy: OutboundPolicy): OutboundPolicy {
  const add = (list: readonly string[], more: readonly string[]) => [...new Set([...list, ...more])];
  return { allowedHosts: add(policy.allowedHosts, LOOPBACK_POLICY.allowedHosts), allowedNetworks: add(policy.allowedNetworks, LOOPBACK_POLICY.allowedNetworks) };
}

/**
 * A ready demo: a PX connection to the simulator whose Company Sync already has its upsert key,
 * so the first Import Now works. Restarts reuse the connection and point it at the simulator again.
 */
async function prepareDemo(database: Database, secrets: SecretBox, outbound: Outbound, px: PxSimulator): Promise<string> {
  const { db } = database;
  let [connection] = await db.select().from(connections).where(eq(connections.connector, 'gainsight-px'));
  if (!connection) {
    connection = await createConnection(db, secrets, outbound, 'demo', newId('conn'), { connector: 'gainsight-px', name: DEMO_CONNECTION, config: { apiKey: DEMO_PX_KEY, baseUrl: px.url } }, () => newId('job'));
  } else if (connection.config.baseUrl !== px.url) {
    await db.update(connections).set({ config: { ...connection.config, baseUrl: px.url } }).where(eq(connections.id, connection.id));
  }
  const owned = await db.select().from(jobs).where(eq(jobs.connectionId, connection.id));
  const companySync = owned.find((j) => j.targetObject === 'company' || j.targetObject === 'company_instance')!;
  if (!companySync.mappings.some((m) => m.upsertKey)) {
    const mappings = companySync.mappings.map((m) => ({ ...m, upsertKey: m.target === 'px_account_id' }));
    await db.update(jobs).set({ mappings }).where(eq(jobs.id, companySync.id));
  }
  return companySync.id;
}

async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0)) {
    try {
      await stop();
    } catch (error) {
      console.error('while stopping:', error);
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('\nstopping...');
    void stopAll().then(() => process.exit(0));
  });
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stopAll();
  process.exit(1);
}
