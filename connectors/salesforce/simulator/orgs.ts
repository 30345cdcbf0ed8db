// The orgs the simulator hosts and the hosts that reach them. As in Salesforce since enhanced
// domains: login.salesforce.com logs in to production orgs and test.salesforce.com to sandboxes;
// an org's My Domain (`<name>.my.salesforce.com`, `<name>--<sandbox>.sandbox.my.salesforce.com`)
// serves both its login and its API, and is the `instance_url` tokens name. Which org the shared
// login hosts pick stands for the user who logs in there: one default org per login host.
import { recordId } from './ids.js';
import { OrgDataset, type OrgDataOptions } from './data.js';

export const PRODUCTION_LOGIN_HOST = 'login.salesforce.com';
export const SANDBOX_LOGIN_HOST = 'test.salesforce.com';

export interface OrgDefinition {
  /** The My Domain name: `acme`, or `acme--uat` for a sandbox named uat. */
  myDomain: string;
  sandbox: boolean;
  /** The integration user whose access the connected app gets. */
  username: string;
  data: OrgDataset | OrgDataOptions;
  /** The org's DailyApiRequests limit. */
  dailyApiRequests?: number;
}

export class Org {
  readonly id: string;
  readonly userId: string;
  readonly myDomain: string;
  readonly sandbox: boolean;
  readonly username: string;
  readonly data: OrgDataset;
  readonly dailyApiLimit: number;
  apiRequestsUsed = 0;

  constructor(definition: OrgDefinition, position: number) {
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*(?:--[a-z0-9]+)?$/.test(definition.myDomain)) throw new RangeError(`My Domain name "${definition.myDomain}" is not valid`);
    if (definition.sandbox !== definition.myDomain.includes('--')) throw new RangeError(`a sandbox's My Domain is <domain>--<sandbox>, a production org's has no "--": ${definition.myDomain}`);
    this.myDomain = definition.myDomain;
    this.sandbox = definition.sandbox;
    this.username = definition.username;
    this.data = definition.data instanceof OrgDataset ? definition.data : new OrgDataset(definition.data);
    this.id = recordId('00D', this.data.pod, position + 1);
    this.userId = recordId('005', this.data.pod, 1);
    this.dailyApiLimit = definition.dailyApiRequests ?? 15_000;
  }

  /** My Domain host: both where its users log in and its instance. */
  get host(): string {
    return this.sandbox ? `${this.myDomain}.sandbox.my.salesforce.com` : `${this.myDomain}.my.salesforce.com`;
  }

  get instanceUrl(): string {
    return `https://${this.host}`;
  }

  /** The login host tokens of this org were issued through decides the identity URL's host. */
  identityUrl(loginHost: string): string {
    return `https://${loginHost}/id/${this.id}/${this.userId}`;
  }
}

export class OrgRegistry {
  readonly orgs: Org[];

  constructor(definitions: readonly OrgDefinition[]) {
    this.orgs = definitions.map((definition, i) => new Org(definition, i));
    const hosts = new Set(this.orgs.map((o) => o.host));
    if (hosts.size !== this.orgs.length) throw new RangeError('two orgs share a My Domain');
  }

  /** The org a login at this host authenticates against, if the host is a login host. */
  forLogin(host: string): Org | undefined {
    if (host === PRODUCTION_LOGIN_HOST) return this.orgs.find((o) => !o.sandbox);
    if (host === SANDBOX_LOGIN_HOST) return this.orgs.find((o) => o.sandbox);
    return this.forInstance(host);
  }

  /** The org whose My Domain this host is. */
  forInstance(host: string): Org | undefined {
    return this.orgs.find((o) => o.host === host);
  }

  byId(id: string): Org | undefined {
    return this.orgs.find((o) => o.id === id);
  }

  byMyDomain(name: string): Org | undefined {
    return this.orgs.find((o) => o.myDomain === name);
  }
}

/** The orgs a simulator starts with unless told otherwise: production, its sandbox, another company. */
export function defaultOrgs(options: { accounts?: number; contacts?: number; seed?: number } = {}): OrgDefinition[] {
  const accounts = options.accounts ?? 250;
  const contacts = options.contacts ?? 600;
  const seed = options.seed ?? 1;
  return [
    { myDomain: 'acme', sandbox: false, username: 'integration@acme.example.com', data: { accounts, contacts, seed, pod: '5g' } },
    { myDomain: 'acme--uat', sandbox: true, username: 'integration@acme.example.com.uat', data: { accounts: Math.max(1, Math.floor(accounts / 10)), contacts: Math.max(1, Math.floor(contacts / 10)), seed: seed + 1, pod: '8x' } },
    { myDomain: 'globex', sandbox: false, username: 'sync@globex.example.com', data: { accounts: Math.max(1, Math.floor(accounts / 5)), contacts: Math.max(1, Math.floor(contacts / 5)), seed: seed + 2, pod: '3k' } },
  ];
}
