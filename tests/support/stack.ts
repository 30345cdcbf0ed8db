// The real stack for one test file: its own database (from the migrated template), a worker on its
// own task queue against the shared Temporal dev server, the PX simulator and the API.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '../../db/client.js';
import { SecretBox } from '../../services/secrets.js';
import { createNotifier } from '../../services/notifier.js';
import { LOOPBACK_POLICY, Outbound } from '../../services/outbound.js';
import type { TemporalContext } from '../../temporal/context.js';
import { createWorker } from '../../worker.js';
import { buildApp } from '../../api/app.js';
import { startPxSimulator, type PxSimulator } from '../../connectors/gainsight-px/simulator/index.js';
import type { PxDataOptions } from '../../connectors/gainsight-px/simulator/data.js';
import { createTestDatabase } from './databases.js';
import { workerLogger } from '../../temporal/worker-logger.js';

export const ADMIN_TOKEN = 'test-admin-token-3f9a61c0d2e4';
export const VIEWER_TOKEN = 'test-viewer-token-8b27e5a14c90';
export const PX_KEY = 'px-test-key';
export const SECRET_KEY = 'test-secret-key-of-enough-length';

let runtimeQuiet = false;

export interface Stack {
  database: Database;
  /** The stack's own database, for a worker in another process. */
  databaseUrl: string;
  temporalAddress: string;
  temporal: TemporalContext;
  app: FastifyInstance;
  px: PxSimulator | null;
  secrets: SecretBox;
  outbound: Outbound;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  px?: PxDataOptions | false;
  smtpUrl?: string | null;
  pageSize?: number;
  /** Start without a worker (to test what happens while none is polling). */
  worker?: boolean;
  /**
   * Outside vitest (scripts/record-histories.ts), what global-setup would have provided; the
   * caller, which started Temporal in this process, then owns its runtime and logger too.
   */
  provided?: { temporalAddress: string; workflowBundlePath: string };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (!runtimeQuiet && !options.provided) {
    Runtime.install({ logger: workerLogger('WARN') });
    runtimeQuiet = true;
  }
  const address = options.provided?.temporalAddress ?? inject('temporalAddress');
  const workflowBundlePath = options.provided?.workflowBundlePath ?? inject('workflowBundlePath');
  const testDb = await createTestDatabase();
  const database = openDatabase(testDb.url);
  const connection = await Connection.connect({ address });
  const temporal: TemporalContext = { client: new Client({ connection }), taskQueue: `syncline-test-${randomBytes(4).toString('hex')}` };
  const secrets = new SecretBox(SECRET_KEY);
  // The simulators, moto and the test receivers listen on 127.0.0.1, which production refuses.
  const outbound = new Outbound(LOOPBACK_POLICY);
  const px = options.px === false ? null : await startPxSimulator({ apiKey: PX_KEY, data: options.px ?? { accounts: 20, users: 200, seed: 7 } });
  const app = await buildApp({
    database,
    temporal,
    secrets,
    outbound,
    tokens: [
      { name: 'alice', token: ADMIN_TOKEN, role: 'admin' },
      { name: 'victor', token: VIEWER_TOKEN, role: 'viewer' },
    ],
    publicUrl: 'http://syncline.test',
    temporalUiUrl: 'http://temporal-ui.test',
  });

  let nativeConnection: NativeConnection | null = null;
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  const startWorker = async () => {
    nativeConnection ??= await NativeConnection.connect({ address });
    worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      workflowBundle: { codePath: workflowBundlePath },
      deps: {
        database,
        secrets,
        temporal,
        outbound,
        notifier: createNotifier({ smtpUrl: options.smtpUrl ?? null, from: 'Syncline <syncline@test>', outbound }),
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      },
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (!worker) return;
    worker.shutdown();
    await running;
    worker = null;
  };
  if (options.worker !== false) await startWorker();

  return {
    database,
    databaseUrl: testDb.url,
    temporalAddress: address,
    temporal,
    app,
    px,
    secrets,
    outbound,
    startWorker,
    stopWorker,
    async stop() {
      await stopWorker();
      await app.close();
      await px?.close();
      await nativeConnection?.close();
      await connection.close();
      await database.close();
      await testDb.drop();
    },
  };
}

/** Calls the API as a client would, with a token. */
export async function api<T = unknown>(
  stack: Stack,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  token: string = ADMIN_TOKEN,
): Promise<{ status: number; body: T; text: string }> {
  const response = await stack.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  const text = response.body;
  const json = text && response.headers['content-type']?.toString().includes('json') ? (JSON.parse(text) as T) : (text as unknown as T);
  return { status: response.statusCode, body: json, text };
}

/** Polls until `check` returns a value, or fails after `timeoutMs` naming what it waited for. */
export async function eventually<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
