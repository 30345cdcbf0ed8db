// The real stack for a benchmark or chaos run, each part where it would be deployed: PostgreSQL
// (a database of the run's own), a Temporal dev server on free ports persisted to a file, the PX
// simulator and the worker in processes of their own, and the API in this process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import { openDatabase, type Database } from '../../db/client.js';
import { migrateDatabase } from '../../db/migrate.js';
import { SecretBox } from '../../services/secrets.js';
import { LOOPBACK_POLICY, Outbound } from '../../services/outbound.js';
import { connectTemporal, type TemporalContext } from '../../temporal/context.js';
import { startDevServer, type DevServer } from '../../temporal/dev-server.js';
import { workflowsPath } from '../../worker.js';
import type { Child } from './children.js';
import { freePort } from './ports.js';
import { startSimulatorProcess, type SimulatorProcess } from './simulator.js';
import { startWorkerProcess } from './worker.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface HarnessStack {
  databaseUrl: string;
  database: Database;
  temporal: TemporalContext;
  app: FastifyInstance;
  token: string;
  sim: SimulatorProcess;
  secrets: SecretBox;
  /** Starts a worker process; the caller stops or kills it. */
  startWorker(options?: { nodeArgs?: string[]; pageSize?: number; compiled?: string }): Promise<Child>;
  /** Stops the Temporal dev server and starts it again on the same port with the same file. */
  restartTemporal(): Promise<void>;
  stop(): Promise<void>;
}

export function databaseUrlFor(name: string, adminUrl = ADMIN_URL): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops and recreates a database, migrated; on the machine's server unless `adminUrl` names another. */
export async function freshDatabase(name: string, adminUrl = ADMIN_URL): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(name, adminUrl);
  await migrateDatabase(url);
  return url;
}

/** Drops and recreates a database with nothing in it: for a peer that makes its own tables. */
export async function emptyDatabase(name: string, adminUrl = ADMIN_URL): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return databaseUrlFor(name, adminUrl);
}

export async function dropDatabase(name: string, adminUrl = ADMIN_URL): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };

export async function startHarnessStack(options: {
  database: string;
  /** The server to make the database on: the machine's (TEST_DATABASE_URL or local) by default. */
  adminUrl?: string;
  /** Stopped last, with the stack, also when the run is interrupted (the server of `adminUrl`). */
  alsoStop?: () => Promise<void>;
  px: { users: number; accounts: number; seed: number };
  log: (line: string) => void;
}): Promise<HarnessStack> {
  const { log } = options;
  const dir = await mkdtemp(join(tmpdir(), 'syncline-harness-'));
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error('while stopping the harness:', error);
      }
    }
  };
  // Interrupted, the run still takes its processes and databases' connections down with it.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  stops.push(async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  try {
    if (options.alsoStop) stops.push(options.alsoStop);
    stops.push(() => rm(dir, { recursive: true, force: true }));
    log(`database ${options.database}: fresh and migrated`);
    const databaseUrl = await freshDatabase(options.database, options.adminUrl);
    const database = openDatabase(databaseUrl);
    stops.push(() => database.close());

    const port = await freePort();
    const uiPort = await freePort();
    const dbFile = join(dir, 'temporal.sqlite');
    let devServer: DevServer = await startDevServer({ port, uiPort, dbFile });
    stops.push(() => devServer.stop());
    log(`Temporal dev server on ${devServer.address} (persisted to ${dbFile})`);

    const taskQueue = `syncline-harness-${randomBytes(4).toString('hex')}`;
    const temporal = await connectTemporal(devServer.address, 'default', taskQueue);
    stops.push(() => temporal.close());

    log(`PX simulator process: ${options.px.users} users, ${options.px.accounts} accounts, seed ${options.px.seed}`);
    const sim = await startSimulatorProcess(options.px);
    stops.push(() => sim.stop());

    const bundle = await bundleWorkflowCode({ workflowsPath, logger: quiet });
    const workflowBundle = join(dir, 'workflows.js');
    await writeFile(workflowBundle, bundle.code);

    const key = randomBytes(32).toString('base64url');
    const secrets = new SecretBox(key);
    const token = `harness-${randomBytes(12).toString('hex')}`;
    const app = await buildApp({ database, temporal, secrets, outbound: new Outbound(LOOPBACK_POLICY), tokens: [{ name: 'harness', token, role: 'admin' }], publicUrl: 'http://syncline.harness' });
    stops.push(() => app.close());
    app.addHook('onError', async (request, _reply, error) => {
      log(`API ${request.method} ${request.url} failed: ${error.message}; cause: ${String((error as { cause?: unknown }).cause)}`);
    });

    return {
      databaseUrl,
      database,
      temporal,
      app,
      token,
      sim,
      secrets,
      async startWorker(options = {}) {
        const worker = await startWorkerProcess({ databaseUrl, temporalAddress: devServer.address, taskQueue, secretKey: key, workflowBundle, ...options });
        // Whatever happens to the caller, no worker outlives the harness.
        stops.push(() => worker.stop());
        return worker;
      },
      async restartTemporal() {
        await devServer.stop();
        devServer = await startDevServer({ port, uiPort, dbFile });
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
