// Every setting Syncline reads from its environment, with the defaults the README documents.

export type Role = 'admin' | 'viewer';
export interface ApiToken {
  name: string;
  token: string;
  role: Role;
  /** Where the token's owner is told about runs: the default recipient of the jobs they create. */
  email?: string;
}

const TOKEN_EMAIL = /^[^\s@:,]+@[^\s@:,.]+(\.[^\s@:,.]+)+$/;

export const databaseUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/syncline';

export const temporalAddress = (): string | null => process.env.TEMPORAL_ADDRESS || null;
export const temporalNamespace = (): string => process.env.TEMPORAL_NAMESPACE ?? 'default';
export const temporalPort = (): number => intFromEnv('TEMPORAL_PORT', 7233);
export const temporalUiPort = (): number => intFromEnv('TEMPORAL_UI_PORT', 8233);
export const apiPort = (): number => intFromEnv('PORT', 3000);
/** The Temporal Web UI the console links runs to: TEMPORAL_UI_URL, else the UI port on this host. */
export const temporalUiUrl = (): string => process.env.TEMPORAL_UI_URL || `http://localhost:${temporalUiPort()}`;
export const publicUrl = (): string => process.env.PUBLIC_URL ?? `http://localhost:${apiPort()}`;
export const smtpUrl = (): string | null => process.env.SMTP_URL || null;
export const notifyFrom = (): string => process.env.NOTIFY_FROM ?? 'Syncline <syncline@localhost>';
export const demoEnabled = (): boolean => !['0', 'false', 'no', 'off'].includes((process.env.DEMO ?? '1').toLowerCase());

export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** A bearer token shorter than this is refused at start-up: guessable tokens guard nothing. */
export const MIN_TOKEN_LENGTH = 24;

/** Parses `API_TOKENS` (`name:token:role,...`); returns null when it is not set. Errors never repeat a token. */
export function parseApiTokens(raw: string | undefined): ApiToken[] | null {
  if (!raw) return null;
  const tokens = raw.split(',').map((entry, i): ApiToken => {
    const [name, token, role, email, ...rest] = entry.trim().split(':');
    if (!name || !token || (role !== 'admin' && role !== 'viewer') || rest.length > 0) {
      throw new Error(`API_TOKENS entry ${i + 1} (${name ? `"${name}"` : 'unnamed'}) must be name:token:role or name:token:role:email, with role admin or viewer`);
    }
    if (email !== undefined && !TOKEN_EMAIL.test(email)) {
      throw new Error(`API_TOKENS entry ${i + 1} ("${name}"): "${email}" is not an email address; write name:token:role:email`);
    }
    return { name, token, role, ...(email ? { email } : {}) };
  });
  checkApiTokens(tokens);
  return tokens;
}

/** Every token long enough and none given twice; throws naming the token's owner, never the token. */
export function checkApiTokens(tokens: ApiToken[]): void {
  for (const t of tokens) {
    if (t.token.length < MIN_TOKEN_LENGTH) {
      throw new Error(
        `API_TOKENS: the token of "${t.name}" is ${t.token.length} characters long; tokens must have at least ${MIN_TOKEN_LENGTH} (make one with: openssl rand -base64 32 | tr -d '/+=')`,
      );
    }
  }
  const seen = new Map<string, string>();
  for (const t of tokens) {
    const owner = seen.get(t.token);
    if (owner !== undefined) throw new Error(`API_TOKENS gives "${owner}" and "${t.name}" the same token; each needs a token of its own`);
    seen.set(t.token, t.name);
  }
}
export const taskQueue = (): string => process.env.SYNCLINE_TASK_QUEUE ?? 'syncline';
/** A workflow bundle built beforehand; unset, the worker bundles the workflows at start. */
export const workflowBundlePath = (): string | null => process.env.SYNCLINE_WORKFLOW_BUNDLE || null;
/** Overrides the connectors' page size (chaos runs use small pages to have many points to fail at). */
export const pageSizeOverride = (): number | null => (process.env.SYNCLINE_PAGE_SIZE ? intFromEnv('SYNCLINE_PAGE_SIZE', 1) : null);
export const apiHost = (): string => process.env.HOST ?? '127.0.0.1';
/**
 * Where every Salesforce host (login, test, My Domain, instance) is reached instead, with the host it
 * was meant for in the path (`/__host/<host>/...`): the simulator, for tests and the demo. Unset in
 * production, where connections reach only the hosts their org type or custom domain names.
 */
export const salesforceSimulatorUrl = (): string | null => process.env.SALESFORCE_SIMULATOR_URL?.replace(/\/+$/, '') || null;
