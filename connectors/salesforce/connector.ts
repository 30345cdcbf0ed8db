// The Salesforce connector: a connection names an org (production, sandbox, or a My Domain) and a
// connected app, is authorized by OAuth (the web-server flow with PKCE, or the JWT bearer flow for
// headless deployments), and reads any object the integration user can query.
import type { AuthorizationGrant, Connector, ConnectionSettings, ConnectorContext, ConnectorSession, ReadPage, ReadRequest, SourceObject } from '../types.js';
import { invalidConfiguration, SynclineError } from '../../sync/errors.js';
import { AccessTokens, grantOf, SalesforceApi } from './api.js';
import { describeListed, describeObject, toSourceObject, type SfObjectInfo } from './describe.js';
import { hostProblems, loginHostOf, ORG_TYPES } from './hosts.js';
import { accountTemplate, contactTemplate } from './jobs.js';
import { GrantRefused, SalesforceOAuth } from './oauth.js';
import { OPTION_LIMITS, READ_MODES, Reader } from './reader.js';
import { unknownOptions } from '../job-options.js';
import { Outbound } from '../../services/outbound.js';

/** For building an authorization URL, which sends nothing: a policy that allows nothing. */
const NO_REQUESTS = new Outbound({ allowedHosts: [], allowedNetworks: [] });

export const DEFAULT_API_VERSION = '62.0';
const AUTH_FLOWS = ['web_server', 'jwt_bearer'] as const;
const JOB_OPTIONS = ['readMode', 'batchSize', 'bulkPageSize', 'bulkThreshold', 'includeDeleted'];

function oauthOf(settings: ConnectionSettings, outbound: Outbound): SalesforceOAuth {
  const { config, secrets } = settings;
  const app = {
    clientId: String(config.clientId ?? ''),
    clientSecret: secrets.clientSecret,
    username: typeof config.username === 'string' ? config.username : undefined,
    privateKey: secrets.privateKey,
  };
  return new SalesforceOAuth(loginHostOf(config), app, outbound);
}

const flowOf = (config: Record<string, unknown>) => (config.authFlow === 'jwt_bearer' ? 'jwt_bearer' : 'web_server');

/** A code or assertion Salesforce refuses while a person is authorizing is theirs to fix, at once. */
async function refusedAsError<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof GrantRefused) throw new SynclineError('SOURCE_AUTH_REJECTED', `Salesforce refused the authorization (${error.detail}). Start again: POST /v1/connections/:id/authorize.`, false);
    throw error;
  }
}

export const salesforce: Connector = {
  id: 'salesforce',
  name: 'Salesforce',
  category: 'CRM Systems',
  configFields: [
    { name: 'orgType', type: 'enum', required: false, secret: false, description: 'production (login.salesforce.com) or sandbox (test.salesforce.com).', default: 'production', values: [...ORG_TYPES] },
    { name: 'customDomain', type: 'string', required: false, secret: false, description: "The org's My Domain name, e.g. acme for https://acme.my.salesforce.com (acme--uat for a sandbox): log in there instead of login/test.salesforce.com." },
    { name: 'clientId', type: 'string', required: true, secret: false, description: "The connected app's consumer key." },
    { name: 'clientSecret', type: 'string', required: false, secret: true, description: "The connected app's consumer secret (the web-server flow needs it)." },
    { name: 'authFlow', type: 'enum', required: false, secret: false, description: 'web_server: a person authorizes in a browser (OAuth with PKCE); jwt_bearer: the server authorizes with a private key, for headless deployments.', default: 'web_server', values: [...AUTH_FLOWS] },
    { name: 'username', type: 'string', required: false, secret: false, description: 'jwt_bearer: the Salesforce username of the integration user.' },
    { name: 'privateKey', type: 'string', required: false, secret: true, description: "jwt_bearer: the PEM private key (PKCS #8) whose certificate the connected app holds." },
    { name: 'apiVersion', type: 'string', required: false, secret: false, description: 'The REST API version, e.g. 62.0.', default: DEFAULT_API_VERSION },
  ],
  allowsCustomJobs: true,
  maxConnections: null,
  // Describing an org costs one API call per object: the list is reused for a day unless refreshed.
  objectsCacheSeconds: 24 * 3600,

  validateConfig(config) {
    const problems = hostProblems(config);
    if (config.clientId !== undefined && (typeof config.clientId !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(config.clientId))) {
      problems.push({ path: '/config/clientId', message: "clientId must be the connected app's consumer key (printable characters, no spaces)" });
    }
    if (config.authFlow !== undefined && !AUTH_FLOWS.includes(config.authFlow as (typeof AUTH_FLOWS)[number])) {
      problems.push({ path: '/config/authFlow', message: `authFlow must be ${AUTH_FLOWS.join(' or ')}` });
    }
    if (config.username !== undefined && config.username !== null && (typeof config.username !== 'string' || !/^\S{3,200}$/.test(config.username))) {
      problems.push({ path: '/config/username', message: 'username must be a Salesforce username such as integration@acme.example.com' });
    }
    if (config.authFlow === 'jwt_bearer' && (typeof config.username !== 'string' || config.username === '')) {
      problems.push({ path: '/config/username', message: 'the jwt_bearer flow needs the integration user\'s username' });
    }
    if (config.apiVersion !== undefined && (typeof config.apiVersion !== 'string' || !/^\d{2}\.0$/.test(config.apiVersion) || Number(config.apiVersion) < 31)) {
      problems.push({ path: '/config/apiVersion', message: 'apiVersion must be a REST API version such as 62.0 (31.0 or later)' });
    }
    return problems;
  },

  outOfTheBoxJobs() {
    return [];
  },

  jobTemplates(connectionName) {
    return [accountTemplate(connectionName), contactTemplate(connectionName)];
  },

  validateJobOptions(options) {
    const problems = unknownOptions('Salesforce', options, JOB_OPTIONS);
    if (options.readMode !== undefined && !READ_MODES.includes(options.readMode as (typeof READ_MODES)[number])) {
      problems.push({ path: '/options/readMode', message: `readMode must be ${READ_MODES.join(', ')} (auto: the Bulk API above bulkThreshold records)` });
    }
    for (const name of ['batchSize', 'bulkPageSize', 'bulkThreshold'] as const) {
      const value = options[name];
      const { min, max } = OPTION_LIMITS[name];
      if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
        problems.push({ path: `/options/${name}`, message: `${name} must be a whole number from ${min} to ${max}` });
      }
    }
    if (options.includeDeleted !== undefined && typeof options.includeDeleted !== 'boolean') {
      problems.push({ path: '/options/includeDeleted', message: 'includeDeleted must be true or false (true reads deleted records too, through queryAll, with IsDeleted)' });
    }
    return problems;
  },

  authorization: {
    mode: (config) => (flowOf(config) === 'jwt_bearer' ? 'direct' : 'redirect'),
    resetOn: ['orgType', 'customDomain', 'clientId', 'authFlow', 'username'],
    authorizationUrl(settings, request) {
      // The code the browser brings back can only be exchanged with the secret: say so before the round trip.
      if (!settings.secrets.clientSecret) throw invalidConfiguration("The Salesforce connection has no client secret: set config.clientSecret to the connected app's consumer secret, then authorize.");
      // Only a URL for a browser: nothing is sent, so no outbound policy is needed.
      return new SalesforceOAuth(loginHostOf(settings.config), { clientId: String(settings.config.clientId ?? ''), clientSecret: settings.secrets.clientSecret }, NO_REQUESTS).authorizationUrl(request);
    },
    exchangeCode: (settings, exchange, outbound) =>
      refusedAsError(async () => {
        const oauth = oauthOf(settings, outbound);
        const answer = await oauth.exchangeCode(exchange);
        return grantOf(answer, 'web_server', await oauth.username(answer));
      }),
    authorizeDirectly: (settings, outbound) => refusedAsError(async () => grantOf(await oauthOf(settings, outbound).jwtBearer(), 'jwt_bearer', String(settings.config.username ?? ''))),
    async revoke(settings, grant: AuthorizationGrant, outbound) {
      const token = grant.credentials.refreshToken ?? grant.credentials.accessToken;
      if (token) await oauthOf(settings, outbound).revoke(token);
    },
  },

  open(settings, context) {
    return new SalesforceSession(settings, context);
  },
};

class SalesforceSession implements ConnectorSession {
  private readonly api: SalesforceApi;
  private readonly tokens: AccessTokens;
  private readonly reader: Reader;
  /** A session lives for one slice of a run: one describe per object is enough. */
  private readonly described = new Map<string, Promise<SfObjectInfo>>();

  constructor(settings: ConnectionSettings, context: ConnectorContext) {
    const username = typeof settings.config.username === 'string' ? settings.config.username : null;
    this.tokens = new AccessTokens(oauthOf(settings, context.outbound), flowOf(settings.config), settings.grant ?? null, context.grants, username);
    this.api = new SalesforceApi(this.tokens, typeof settings.config.apiVersion === 'string' ? settings.config.apiVersion : DEFAULT_API_VERSION, context.outbound);
    this.reader = new Reader(this.api, (object) => this.describe(object));
  }

  async test(): Promise<Record<string, unknown>> {
    // The limits call renews an expired token (a 401); userinfo then runs with a live one.
    const limits = await this.api.json<{ DailyApiRequests?: { Max: number; Remaining: number } }>('GET', '/limits');
    const user = await this.api.json<{ organization_id?: string; preferred_username?: string; user_id?: string }>('GET', '/services/oauth2/userinfo');
    const daily = limits?.DailyApiRequests;
    return {
      orgId: user?.organization_id ?? null,
      username: user?.preferred_username ?? null,
      instanceUrl: (await this.tokens.current()).instanceUrl,
      apiVersion: this.api.version,
      apiUsage: daily ? { used: daily.Max - daily.Remaining, max: daily.Max, remaining: daily.Remaining } : null,
    };
  }

  async describeObjects(): Promise<SourceObject[]> {
    return (await describeListed(this.api)).map(toSourceObject);
  }

  async describeObject(name: string): Promise<SourceObject> {
    return toSourceObject(await describeObject(this.api, name));
  }

  readPage(request: ReadRequest): Promise<ReadPage> {
    return this.reader.readPage(request);
  }

  idField(): string {
    return 'Id';
  }

  private describe(object: string): Promise<SfObjectInfo> {
    let found = this.described.get(object);
    if (!found) {
      found = describeObject(this.api, object);
      // A failed describe (an outage) must not stick for the rest of the session.
      found.catch(() => this.described.delete(object));
      this.described.set(object, found);
    }
    return found;
  }
}
