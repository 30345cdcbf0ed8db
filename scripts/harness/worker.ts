// A Syncline worker in a process of its own (the real `worker.ts` entry point), so it can be
// measured (/proc VmHWM), profiled (--cpu-prof) and killed (SIGKILL) like a deployed one.
import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, spawnNode, spawnTs, type Child } from './children.js';
import { LOOPBACK_POLICY, policyEnvironment } from '../../services/outbound.js';

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
  /** The compiled worker (see buildWorker) rather than the TypeScript sources through tsx. */
  compiled?: string;
}

/**
 * Compiles Syncline as `npm run build` does, into `.data/<name>` (inside the project, so that
 * node_modules resolves), with the migrations beside db/ as the Docker image has them; answers
 * the path of worker.js. The deployed worker runs this, without tsx's loader in its memory.
 */
export async function buildWorker(name: string, log: (line: string) => void): Promise<string> {
  const outDir = join(ROOT, '.data', name);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT });
  } catch (error) {
    // tsc still emits JavaScript when it finds type errors; say so, and go on with what it emitted.
    log(`tsc reported errors (the worker is built all the same): ${String((error as { stdout?: string }).stdout ?? error).slice(0, 2000)}`);
  }
  await cp(join(ROOT, 'db', 'migrations'), join(outDir, 'db', 'migrations'), { recursive: true });
  return join(outDir, 'worker.js');
}

/** The node flags docker-compose.yml runs the worker with: a bounded heap (see there). */
export const DEPLOYED_WORKER_FLAGS = ['--max-old-space-size=128', '--max-semi-space-size=8'];

export async function startWorkerProcess(settings: WorkerSettings): Promise<Child> {
  const spawnWorker = (env: Record<string, string>, nodeArgs: string[]) =>
    settings.compiled ? spawnNode([settings.compiled], env, nodeArgs) : spawnTs('worker.ts', env, nodeArgs);
  const child = spawnWorker(
    {
      DATABASE_URL: settings.databaseUrl,
      TEMPORAL_ADDRESS: settings.temporalAddress,
      SYNCLINE_TASK_QUEUE: settings.taskQueue,
      SECRET_KEY: settings.secretKey,
      SYNCLINE_WORKFLOW_BUNDLE: settings.workflowBundle,
      // The simulator listens on 127.0.0.1, which the outbound policy refuses unless allowed.
      ...policyEnvironment(LOOPBACK_POLICY),
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
