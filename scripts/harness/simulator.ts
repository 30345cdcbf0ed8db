// The PX simulator in a process of its own, so that its CPU is not charged to the worker, driven
// over its /__sim HTTP controls.
import { spawnTs, type Child } from './children.js';
import { freePort } from './ports.js';

export interface SimulatorProcess {
  /** Base URL of the PX API, ending in /v1. */
  url: string;
  apiKey: string;
  child: Child;
  control<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(data: { users: number; accounts: number; seed: number }): Promise<SimulatorProcess> {
  const port = await freePort();
  const apiKey = 'px-bench-key';
  const child = spawnTs('connectors/gainsight-px/simulator/main.ts', {
    PX_SIM_PORT: String(port),
    PX_SIM_USERS: String(data.users),
    PX_SIM_ACCOUNTS: String(data.accounts),
    PX_SIM_SEED: String(data.seed),
    PX_SIM_API_KEY: apiKey,
  });
  try {
    await child.waitFor(/listening on/, 120_000);
  } catch (error) {
    await child.kill('SIGKILL');
    throw error;
  }
  const root = `http://127.0.0.1:${port}`;
  return {
    url: `${root}/v1`,
    apiKey,
    child,
    async control<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${root}/__sim/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`simulator control ${method} ${path} answered ${response.status}: ${text}`);
      return JSON.parse(text) as T;
    },
    stop: () => child.stop(),
  };
}
