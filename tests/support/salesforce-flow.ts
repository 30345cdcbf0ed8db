// Steps the Salesforce tests share: a simulator every Salesforce host resolves to, a connection,
// the browser's round trip through the authorize page, the template jobs.
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'vitest';
import { startSalesforceSimulator, defaultOrgs, type SalesforceSimulator } from '../../connectors/salesforce/simulator/index.js';
import { api, type Stack } from './stack.js';
import type { JobDoc } from './px-flow.js';

export const SF_CLIENT_ID = '3MVG9TestConnectedAppConsumerKey0000000000000000000000000000000000000000';
export const SF_CLIENT_SECRET = 'sf-consumer-secret-5e1f0c';
/** The stack's public URL is http://syncline.test, so this is the redirect URI the connected app must list. */
export const SF_CALLBACK = 'http://syncline.test/v1/oauth/callback';

export interface SalesforceFixture {
  sim: SalesforceSimulator;
  /** The JWT bearer flow's key pair: the app holds the public half. */
  privateKey: string;
}

export interface ConnectionDoc {
  id: string;
  name: string;
  status: string;
  statusMessage: string | null;
  config: Record<string, unknown>;
  authorization: Record<string, string | null> | null;
}

export async function startSalesforce(options: { accounts?: number; contacts?: number; seed?: number } = {}): Promise<SalesforceFixture> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const sim = await startSalesforceSimulator({
    app: { clientId: SF_CLIENT_ID, clientSecret: SF_CLIENT_SECRET, callbackUrls: [SF_CALLBACK], jwtPublicKey: publicKey },
    orgs: defaultOrgs({ accounts: options.accounts ?? 30, contacts: options.contacts ?? 60, seed: options.seed ?? 3 }),
    bulkProcessingMs: 100,
  });
  // The connector reaches every Salesforce host through the simulator (worker and API run in this process).
  process.env.SALESFORCE_SIMULATOR_URL = sim.url;
  return { sim, privateKey };
}

export async function connectSalesforce(stack: Stack, name: string, config: Record<string, unknown> = {}): Promise<ConnectionDoc> {
  const created = await api<ConnectionDoc>(stack, 'POST', '/v1/connections', { connector: 'salesforce', name, config: { clientId: SF_CLIENT_ID, clientSecret: SF_CLIENT_SECRET, ...config } });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

/** What a browser does: open the authorization URL, follow Salesforce's redirect back to the callback (no API token). */
export async function authorizeInBrowser(stack: Stack, connectionId: string): Promise<{ status: number; body: { message?: string; connection?: ConnectionDoc; error?: { code: string; message: string } }; callbackUrl: string }> {
  const started = await api<{ authorizationUrl: string }>(stack, 'POST', `/v1/connections/${connectionId}/authorize`);
  expect(started.status, started.text).toBe(200);
  const callbackUrl = await followAuthorizePage(started.body.authorizationUrl);
  const back = await callback(stack, callbackUrl);
  return { ...back, callbackUrl };
}

/** The authorize page answers with a redirect to the callback; its Location is where the browser goes. */
export async function followAuthorizePage(authorizationUrl: string): Promise<string> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(page.status, await page.clone().text()).toBe(302);
  const location = page.headers.get('location')!;
  expect(location.startsWith(SF_CALLBACK)).toBe(true);
  return location;
}

export async function callback(stack: Stack, callbackUrl: string): Promise<{ status: number; body: { message?: string; connection?: ConnectionDoc; error?: { code: string; message: string } } }> {
  const url = new URL(callbackUrl);
  const answer = await stack.app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
  return { status: answer.statusCode, body: answer.json() };
}

export async function createTemplateJob(stack: Stack, connectionId: string, key: string): Promise<JobDoc> {
  const created = await api<JobDoc>(stack, 'POST', `/v1/connections/${connectionId}/job-templates/${key}`);
  expect(created.status, created.text).toBe(201);
  return created.body;
}

export async function simControl(sim: SalesforceSimulator, path: string, body: unknown = {}): Promise<unknown> {
  const answer = await fetch(`${sim.url}/__sim/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(answer.status, await answer.clone().text()).toBe(200);
  return answer.json();
}
