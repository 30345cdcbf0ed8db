// The Temporal worker: runs Syncline's workflows and the activities that fetch, map and upsert.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';

const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
export const workflowsPath = fileURLToPath(new URL(`./workflows/index${extension}`, import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
}

export function createWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.deps.temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities(options.deps),
    ...(options.identity ? { identity: options.identity } : {}),
    // Lets in-flight pages commit before a deploy stops the process (compose allows 2 minutes).
    shutdownGraceTime: '90 seconds',
    maxConcurrentActivityTaskExecutions: 20,
    // A cancellation reaches an activity with the answer to its heartbeat: send them often enough
    // that a cancelled run stops within about a second (page activities heartbeat once a page).
    maxHeartbeatThrottleInterval: '1 second',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // createWorker is handed over: worker-process.ts importing this module back would deadlock on
  // this very top-level await.
  const { startWorkerProcess } = await import('./scripts/worker-process.js');
  await startWorkerProcess(createWorker);
}
