// Connections: created with their connector's out-of-the-box jobs, secrets sealed, every change audited.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { connections, jobs, type ConnectionRow } from '../db/schema.js';
import type { Notifications } from '../sync/types.js';
import { findConnector } from '../connectors/registry.js';
import type { Connector } from '../connectors/types.js';
import { badRequest, conflict, type ErrorDetail } from '../api/errors.js';
import { MASK, type SecretBox } from './secrets.js';
import type { Outbound } from './outbound.js';
import { recordAudit } from './audit.js';
import { DEFAULT_NOTIFICATIONS, auditedJob, jobRowsFromTemplates } from './jobs.js';

export interface ConnectionDocument {
  id: string;
  connector: string;
  name: string;
  config: Record<string, unknown>;
  status: string;
  statusMessage: string | null;
  /** For connectors that authorize: what the grant reached (never a token); null until authorized. */
  authorization: Record<string, string | null> | null;
  createdAt: string;
  updatedAt: string;
}

/** The statuses every connection moves through; only setConnectionStatus changes them. */
export const CONNECTION_STATUSES = ['active', 'error', 'needs_authorization'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** A connection a person must authorize in a browser starts there; every other starts active. */
export function initialStatusOf(connector: Connector, config: Record<string, unknown>): ConnectionStatus {
  return connector.authorization?.mode(config) === 'redirect' ? 'needs_authorization' : 'active';
}

/**
 * Moves a connection to a status, with the reason a person can act on, and records the move in
 * the connection log (actor `system` unless a person caused it). Repeating the current status and
 * reason changes nothing.
 */
export async function setConnectionStatus(db: Pick<Db, 'select' | 'update' | 'insert'>, connectionId: string, status: ConnectionStatus, message: string | null, actor = 'system'): Promise<void> {
  const [before] = await db.select({ name: connections.name, connector: connections.connector, status: connections.status, statusMessage: connections.statusMessage }).from(connections).where(eq(connections.id, connectionId));
  if (!before || (before.status === status && before.statusMessage === message)) return;
  await db.update(connections).set({ status, statusMessage: message, statusChangedAt: new Date() }).where(eq(connections.id, connectionId));
  if (before.status !== status) {
    await recordAudit(db, actor, { type: 'connection', id: connectionId, name: before.name, connector: before.connector, connectionId }, { status: before.status }, { status }, message);
  }
}

export function connectorOrFail(id: string): Connector {
  const connector = findConnector(id);
  if (!connector) throw badRequest(`connector "${id}" is not available; GET /v1/connectors lists them`, [{ path: '/connector', message: 'unknown connector' }]);
  return connector;
}

/**
 * Splits config into stored settings and secrets, refusing fields the connector does not know. A
 * change (`partial`) is checked merged over the stored settings, `base`: settings that only make
 * sense together (an org type and its custom domain) are judged as they will be stored.
 */
export function splitConfig(connector: Connector, config: Record<string, unknown>, partial: boolean, base: Record<string, unknown> = {}) {
  const problems: ErrorDetail[] = [];
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(config)) {
    const field = connector.configFields.find((f) => f.name === name);
    if (!field) {
      problems.push({ path: `/config/${name}`, message: `${connector.name} has no setting "${name}"; known settings: ${connector.configFields.map((f) => f.name).join(', ')}` });
    } else if (field.secret) {
      if (typeof value !== 'string' || value.length === 0 || value.length > 4096) problems.push({ path: `/config/${name}`, message: `${name} must be a non-empty string` });
      else if (value !== MASK) secrets[name] = value;
    } else {
      settings[name] = value;
    }
  }
  if (!partial) {
    for (const field of connector.configFields) {
      if (field.required && config[field.name] === undefined) problems.push({ path: `/config/${field.name}`, message: `${field.name} is required: ${field.description}` });
      if (!field.secret && settings[field.name] === undefined && field.default !== undefined) settings[field.name] = field.default;
    }
  }
  problems.push(...connector.validateConfig({ ...base, ...settings }));
  if (problems.length > 0) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  return { settings, secrets };
}

/**
 * The connector's URL settings checked against the outbound policy (400 naming the setting and what
 * an operator can allow); on an edit, a changed URL must come with its secret, or an admin could
 * send the stored credential to a host of their choosing (400 naming the secret).
 */
export async function assertUrlSettingsAllowed(
  connector: Connector,
  outbound: Outbound,
  settings: Record<string, unknown>,
  edit?: { before: Record<string, unknown>; newSecrets: Record<string, string> },
): Promise<void> {
  const problems: ErrorDetail[] = [];
  for (const { field, destination, secret } of connector.urlSettings ?? []) {
    const url = settings[field];
    if (typeof url === 'string' && url !== '') {
      const problem = await outbound.problem(url, destination);
      if (problem) problems.push({ path: `/config/${field}`, message: `${field} cannot be used: ${problem}` });
    }
    const changed = url !== undefined && (url || null) !== (edit?.before[field] || null);
    if (edit && changed && edit.newSecrets[secret] === undefined) {
      problems.push({ path: `/config/${secret}`, message: `changing ${field} sends ${secret} to the new URL, so send ${secret} again in the same request` });
    }
  }
  if (problems.length > 0) throw badRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

/** A change to a setting the connection's jobs were built for would leave them wrong: 409. */
export function assertFixedKept(connector: Connector, before: Record<string, unknown>, config: Record<string, unknown>): void {
  const changed = connector.configFields.filter((f) => f.fixed && config[f.name] !== undefined && config[f.name] !== (before[f.name] ?? f.default));
  if (changed.length === 0) return;
  const names = changed.map((f) => f.name).join(', ');
  throw conflict(
    'setting_fixed',
    `${names} is chosen when a ${connector.name} connection is created and its jobs are built for it; delete the connection and create it again to change it.`,
    changed.map((f) => ({ path: `/config/${f.name}`, message: 'cannot change after the connection is created' })),
  );
}

/** A connection's settings with each secret one shown as "********" when set, null when not. */
export function maskedConfig(connectorId: string, config: Record<string, unknown>, secretsSet: boolean): Record<string, unknown> {
  const masked: Record<string, unknown> = { ...config };
  for (const field of findConnector(connectorId)?.configFields ?? []) if (field.secret) masked[field.name] = secretsSet ? MASK : null;
  return masked;
}

export function toConnectionDocument(row: ConnectionRow): ConnectionDocument {
  const connector = findConnector(row.connector);
  return {
    id: row.id,
    connector: row.connector,
    name: row.name,
    config: maskedConfig(row.connector, row.config, row.secrets !== null),
    status: row.status,
    statusMessage: row.statusMessage,
    authorization: connector?.authorization ? (row.authorization ?? null) : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What the audit log may show of a connection: its settings with every secret masked. */
export function auditedConnection(row: ConnectionRow): Record<string, unknown> {
  const doc = toConnectionDocument(row);
  return { name: doc.name, config: doc.config };
}

export async function createConnection(
  db: Db,
  box: SecretBox,
  outbound: Outbound,
  actor: string,
  id: string,
  input: { connector: string; name: string; config: Record<string, unknown> },
  newJobId: () => string,
  /** Who the out-of-the-box jobs tell how their runs end: the creator, when their token has an email. */
  notifications: Notifications = DEFAULT_NOTIFICATIONS,
): Promise<ConnectionRow> {
  const connector = connectorOrFail(input.connector);
  const { settings, secrets } = splitConfig(connector, input.config, false);
  await assertUrlSettingsAllowed(connector, outbound, settings);
  return db.transaction(async (tx) => {
    if (connector.maxConnections !== null) {
      const existing = await tx.select({ id: connections.id }).from(connections).where(eq(connections.connector, connector.id)).for('update');
      if (existing.length >= connector.maxConnections) {
        throw conflict('connection_limit', `${connector.name} allows ${connector.maxConnections} connection${connector.maxConnections === 1 ? '' : 's'}, and connection ${existing[0]!.id} exists; edit or delete it instead.`);
      }
    }
    const [row] = await tx
      .insert(connections)
      .values({ id, connector: connector.id, name: input.name, config: settings, secrets: Object.keys(secrets).length ? box.seal(secrets) : null, status: initialStatusOf(connector, settings) })
      .returning();
    await recordAudit(tx, actor, { type: 'connection', id, name: input.name, connector: connector.id, connectionId: id }, null, auditedConnection(row!));
    const templates = connector.outOfTheBoxJobs(input.name, settings);
    const created = templates.length > 0 ? await tx.insert(jobs).values(jobRowsFromTemplates(id, templates, newJobId, notifications)).returning() : [];
    for (const job of created) {
      await recordAudit(tx, actor, { type: 'job', id: job.id, name: job.name, connector: connector.id, connectionId: id, jobId: job.id }, null, auditedJob(job), `out-of-the-box job of connection "${input.name}"`);
    }
    return row!;
  });
}
