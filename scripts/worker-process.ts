// `npm run worker`: a standalone worker against TEMPORAL_ADDRESS and DATABASE_URL.
import { NativeConnection, Runtime } from '@temporalio/worker';
import { databaseUrl, notifyFrom, pageSizeOverride, smtpUrl, taskQueue, temporalAddress, temporalNamespace, workflowBundlePath } from '../config.js';
import { openDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { SecretBox } from '../services/secrets.js';
import { createNotifier } from '../services/notifier.js';
import { Outbound, outboundPolicyFromEnv } from '../services/outbound.js';
import { secretKey } from '../services/runtime.js';
import { connectTemporal } from '../temporal/context.js';
import type { createWorker } from '../worker.js';
import { workerLogger } from '../temporal/worker-logger.js';

export async function startWorkerProcess(create: typeof createWorker): Promise<void> {
  Runtime.install({ logger: workerLogger('INFO') });
  const address = temporalAddress() ?? '127.0.0.1:7233';
  const key = await secretKey({ allowGenerated: false });
  await migrateDatabase(databaseUrl());
  const database = openDatabase(databaseUrl());
  const temporal = await connectTemporal(address, temporalNamespace(), taskQueue());
  const connection = await NativeConnection.connect({ address });
  const bundle = workflowBundlePath();
  const pageSize = pageSizeOverride();
  const outbound = new Outbound(outboundPolicyFromEnv());
  const worker = await create({
    connection,
    namespace: temporalNamespace(),
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
    deps: {
      database,
      secrets: new SecretBox(key),
      temporal,
      outbound,
      notifier: createNotifier({ smtpUrl: smtpUrl(), from: notifyFrom(), outbound }),
      ...(pageSize ? { pageSize } : {}),
    },
  });
  console.log(`worker polling task queue "${taskQueue()}" on ${address}`);
  await worker.run();
  await Promise.all([database.close(), temporal.close(), connection.close()]);
}
