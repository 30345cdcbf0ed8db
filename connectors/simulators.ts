// What the simulated sources (PX, Salesforce) share: an HTTP server listening on a port, the origin
// clients reach it at and a close that does not wait for keep-alive connections; their settings
// from the environment; and the small rules of their data.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  port: number;
  /** `http://host:port`, an IPv6 host in brackets. */
  origin: string;
  close(): Promise<void>;
}

export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

/** A non-negative integer setting from the environment, or `fallback` when unset. */
export function integerFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${text}"`);
  return value;
}

/** A text changed the way the simulators change a record: "Acme" → "Acme (rev 1)" → "Acme (rev 2)". */
export function nextRevision(text: string): string {
  const match = / \(rev (\d+)\)$/.exec(text);
  const revision = match?.[1] === undefined ? 1 : Number(match[1]) + 1;
  return `${match === null ? text : text.slice(0, match.index)} (rev ${revision})`;
}

export function requireCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
}
