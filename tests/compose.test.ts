// The production compose file publishes only the API beyond the host: the Temporal UI (which has no
// login of its own) listens on the host's loopback with its write actions off, and PostgreSQL and
// Temporal's frontend are not published at all. Read as Compose reads it, variables and defaults
// resolved (this machine's docker client has no compose plugin to ask).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  ports?: (string | { host_ip?: string; published?: string | number; target: number })[];
  environment?: Record<string, string | number | boolean | null>;
}

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}, $$. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (whole, name?: string, colon?: string, kind?: string, word?: string) => {
    if (whole === '$$') return '$';
    const value = env[name!];
    const missing = value === undefined || (colon === ':' && value === '');
    if (kind === '?' && missing) throw new Error(`${name} is required: ${word}`);
    return kind === '-' && missing ? word! : (value ?? '');
  });
}

function composeServices(env: Record<string, string>): Record<string, Service> {
  const file = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
  return (parse(interpolate(file, env), { merge: true }) as { services: Record<string, Service> }).services;
}

/** Each published port as [host address, host port]; no address means every interface. */
function published(service: Service): [string, string][] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') return [port.host_ip ?? '0.0.0.0', String(port.published ?? '')];
    const parts = port.split(':');
    return parts.length === 3 ? [parts[0]!, parts[1]!] : ['0.0.0.0', parts[0]!];
  });
}

/** An environment value as the container sees it: text, empty when unset. */
const envOf = (service: Service, name: string): string | undefined => {
  const value = service.environment?.[name];
  return value === undefined ? undefined : String(value ?? '');
};

const REQUIRED = { API_TOKENS: 'ops:a-token-of-at-least-24-characters:admin', SECRET_KEY: 'a-secret-key-of-enough-length' };

describe('the production compose file', () => {
  it('publishes only the API beyond the host; the Temporal UI on loopback; PostgreSQL and Temporal not at all', () => {
    const services = composeServices(REQUIRED);
    const exposed = Object.entries(services).flatMap(([name, service]) => published(service).map(([address, port]) => `${name} ${address}:${port}`));
    expect(exposed.sort()).toEqual(['api 0.0.0.0:3000', 'temporal-ui 127.0.0.1:8233']);
    for (const name of ['postgresql', 'temporal-postgresql', 'temporal']) expect(services[name]!.ports, name).toBeUndefined();
    const movedPort = composeServices({ ...REQUIRED, TEMPORAL_UI_PORT: '9000' });
    expect(published(movedPort['temporal-ui']!)).toEqual([['127.0.0.1', '9000']]);
  });

  it("turns the Temporal UI's write actions off unless an operator turns them on", () => {
    expect(envOf(composeServices(REQUIRED)['temporal-ui']!, 'TEMPORAL_DISABLE_WRITE_ACTIONS')).toBe('true');
    expect(envOf(composeServices({ ...REQUIRED, TEMPORAL_UI_DISABLE_WRITE_ACTIONS: 'false' })['temporal-ui']!, 'TEMPORAL_DISABLE_WRITE_ACTIONS')).toBe('false');
  });

  it('hands the outbound policy to the API and the worker, allowing nothing more by default', () => {
    const services = composeServices({ ...REQUIRED, OUTBOUND_ALLOWED_NETWORKS: '10.20.0.0/16' });
    for (const name of ['api', 'worker']) {
      expect(envOf(services[name]!, 'OUTBOUND_ALLOWED_NETWORKS'), name).toBe('10.20.0.0/16');
      expect(envOf(services[name]!, 'OUTBOUND_ALLOWED_HOSTS'), name).toBe('');
    }
  });

  it('will not start without API_TOKENS and SECRET_KEY', () => {
    expect(() => composeServices({ SECRET_KEY: REQUIRED.SECRET_KEY })).toThrow('API_TOKENS is required');
    expect(() => composeServices({ API_TOKENS: REQUIRED.API_TOKENS })).toThrow('SECRET_KEY is required');
  });
});
