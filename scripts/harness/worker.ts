// A Syncline worker in a process of its own (the real `worker.ts` entry point), so it can be
// measured (/proc VmHWM), profiled (--cpu-prof) and killed (SIGKILL) like a deployed one.
import { spawnTs, type Child } from './children.js';

export interface WorkerSettings {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  secretKey: string;
  /** A prebuilt workflow bundle: bundling at start would dominate the worker's peak memory. */
  workflowBundle: string;
  /** Overrides the connector's page size. */
  pageSize?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

export async function startWorkerProcess(settings: WorkerSettings): Promise<Child> {
  const child = spawnTs(
    'worker.ts',
    {
      DATABASE_URL: settings.databaseUrl,
      TEMPORAL_ADDRESS: settings.temporalAddress,
      SYNCLINE_TASK_QUEUE: settings.taskQueue,
      SECRET_KEY: settings.secretKey,
      SYNCLINE_WORKFLOW_BUNDLE: settings.workflowBundle,
      ...(settings.pageSize ? { SYNCLINE_PAGE_SIZE: String(settings.pageSize) } : {}),
    },
    settings.nodeArgs ?? [],
  );
  try {
    await child.waitFor(/worker polling task queue/, 120_000);
  } catch (error) {
    await child.kill('SIGKILL');
    throw error;
  }
  return child;
}
