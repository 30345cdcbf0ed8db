/*
 * One org's records, generated from (seed, index) and then kept in memory so that tests can change
 * them (touch, add, delete) and read back exactly what the org holds.
 *
 * Values are stored as Salesforce types them: text, numbers, booleans, dates as `YYYY-MM-DD` and
 * datetimes as epoch milliseconds on whole seconds (the API shows `.000` for every datetime), which
 * the REST and Bulk answers format each in their own way. A null field is stored as null: Salesforce
 * keeps no empty strings.
 *
 * Initial data: CreatedDate <= LastModifiedDate <= SystemModstamp <= baseTime, spread over the two
 * years before baseTime; anything modified after baseTime was changed through this class.
 *
 * Untidiness, decided by index alone so that tests can name the records (i = account index,
 * j = contact index):
 *   Account  i % 10 === 3   Industry null
 *            i % 25 === 7   Industry "technology": a value outside the picklist in another case
 *                           (unrestricted picklists accept any value through the API)
 *            i % 40 === 11  Industry "Dot Com": a value the admin has since deactivated
 *            i % 7 === 2    AnnualRevenue null;  i % 9 === 4  NumberOfEmployees null
 *            i % 30 === 13  Website without a scheme ("www.<name>.example.com")
 *            i % 20 === 6   Description of 32,000 characters;  i % 20 === 1  Description with
 *                           quotes, commas, a line break and non-ASCII text
 *            i % 50 === 21  the same Name as account i - 1 (a duplicate account)
 *            i % 8 === 5    SystemModstamp later than LastModifiedDate (a system change)
 *   Contact  j % 50 === 23  no AccountId (a private contact)
 *            j % 25 === 7   no Email
 *            j % 100 === 12 or 58  Email of contact j - 1 upper-cased: the same person, usually
 *                           under another account
 *            j % 20 === 3   Email in mixed case
 *            j % 40 === 9   FirstName null
 *            j % 33 === 17  Title of 128 characters
 *            j % 45 === 4   LeadSource "web" (outside the picklist)
 *   Contacts belong to accounts skewed towards low indexes (a few big accounts, many small ones).
 *
 * Changes: a touch appends " (rev N)" to an account's, opportunity's or subscription's Name or a
 * contact's LastName and sets LastModifiedDate and SystemModstamp; an added record takes the next
 * index; a delete sets IsDeleted and SystemModstamp (and, as in Salesforce, deleting an account
 * deletes its contacts and opportunities). Deleted records are seen only by queryAll.
 */
import { hash32, Rng, unit } from '../../gainsight-px/simulator/prng.js';
import { recordId } from './ids.js';
import { ACCOUNT_TYPES, INACTIVE_INDUSTRY, INDUSTRIES, LEAD_SOURCES, PLANS, PRODUCTS, STAGES, TIERS } from './schema.js';
import { nextRevision, requireCount } from '../../simulators.js';

export type SfValue = string | number | boolean | null;
export type SfRecord = Record<string, SfValue>;

export const OBJECT_NAMES = ['Account', 'Contact', 'Opportunity', 'Subscription__c'] as const;
export type DataObject = (typeof OBJECT_NAMES)[number];

export interface OrgDataOptions {
  accounts: number;
  contacts: number;
  /** Default: two per account. */
  opportunities?: number;
  /** Default: one per account. */
  subscriptions?: number;
  seed?: number;
  /** Epoch ms; the initial data was last modified at or before it. */
  baseTime?: number;
  /** Two characters of every record id, so that two orgs never share an id. */
  pod?: string;
}

export const DEFAULT_BASE_TIME = Date.UTC(2025, 0, 1);
const INITIAL_SPAN_MS = 730 * 24 * 3600 * 1000;
const KEY_PREFIX: Record<DataObject, string> = { Account: '001', Contact: '003', Opportunity: '006', Subscription__c: 'a0B' };
const SALT: Record<DataObject, number> = { Account: 11, Contact: 12, Opportunity: 13, Subscription__c: 14 };
const ASSIGNMENT_SALT = 15;

const COMPANY_WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay', 'Soylent', 'Tyrell', 'Wonka', 'Cyberdyne', 'Oscorp', 'Nakatomi', 'Aperture', 'Gringotts'];
const COMPANY_KINDS = ['Systems', 'Labs', 'Industries', 'Holdings', 'Logistics', 'Health', 'Media', 'Capital'];
const COMPANY_SUFFIXES = ['Inc', 'LLC', 'Ltd', 'GmbH', 'Corp', 'SA'];
const FIRST_NAMES = ['Nora', 'Liam', 'Ava', 'Noah', 'Mia', 'Lucas', 'Zoë', 'Ethan', 'Isla', 'Mateo', 'Chloé', 'Arjun', 'Sofia', 'Kenji', 'Amara', 'Oliver'];
const LAST_NAMES = ['Smith', 'Johnson', 'Müller', "O'Brien", 'García', 'Nguyen', 'Kowalski', 'Patel', 'Rossi', 'Tanaka', 'Dubois', 'Silva', 'Okafor', 'Walsh'];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'corp.example.io'];
const TITLES = ['CEO', 'VP Customer Success', 'Director of Operations', 'IT Manager', 'Head of Support', 'Account Manager', 'Data Analyst', null];
const DEPARTMENTS = ['Operations', 'Finance', 'Engineering', 'Support', 'Sales', null];
const CITIES: readonly [string, string][] = [['Portland', 'United States'], ['Austin', 'United States'], ['London', 'United Kingdom'], ['Berlin', 'Germany'], ['Paris', 'France'], ['São Paulo', 'Brazil'], ['Tokyo', 'Japan'], ['Toronto', 'Canada']];
const UNTIDY_DESCRIPTION = 'Key account, renewal in Q3 — "strategic"\nSecond line: Zürich, Malmö & Kraków';

export class OrgDataset {
  readonly seed: number;
  readonly baseTime: number;
  readonly pod: string;
  private readonly records: Record<DataObject, SfRecord[]>;
  private changes = 0;

  constructor(options: OrgDataOptions) {
    for (const [name, value] of Object.entries({ accounts: options.accounts, contacts: options.contacts, opportunities: options.opportunities ?? 0, subscriptions: options.subscriptions ?? 0 })) {
      requireCount(name, value);
    }
    this.seed = options.seed ?? 1;
    this.baseTime = options.baseTime ?? DEFAULT_BASE_TIME;
    this.pod = options.pod ?? '5g';
    if (!/^[0-9A-Za-z]{2}$/.test(this.pod)) throw new RangeError(`pod must be two letters or digits, got "${this.pod}"`);
    this.records = { Account: [], Contact: [], Opportunity: [], Subscription__c: [] };
    for (let i = 0; i < options.accounts; i++) this.records.Account.push(this.generateAccount(i, undefined));
    for (let j = 0; j < options.contacts; j++) this.records.Contact.push(this.generateContact(j, undefined));
    for (let k = 0; k < (options.opportunities ?? options.accounts * 2); k++) this.records.Opportunity.push(this.generateOpportunity(k, undefined));
    for (let k = 0; k < (options.subscriptions ?? options.accounts); k++) this.records.Subscription__c.push(this.generateSubscription(k, undefined));
  }

  /** Grows with every change. */
  get version(): number {
    return this.changes;
  }

  /** Every record of the object, deleted ones included, in index (and id) order. Read-only. */
  all(object: DataObject): readonly SfRecord[] {
    return this.records[object];
  }

  count(object: DataObject, options: { deleted?: boolean } = {}): number {
    return this.records[object].filter((r) => options.deleted === true || r.IsDeleted !== true).length;
  }

  /** Appends " (rev N)" to the record's name and moves its modification time to `now`. */
  touch(object: DataObject, indexes: Iterable<number>, now: number = Date.now()): void {
    const at = wholeSecond(now);
    const field = object === 'Contact' ? 'LastName' : 'Name';
    for (const index of indexes) {
      const record = this.at(object, index);
      record[field] = nextRevision(String(record[field]));
      record.LastModifiedDate = at;
      record.SystemModstamp = at;
    }
    this.changes++;
  }

  add(object: DataObject, count: number, now: number = Date.now()): number[] {
    requireCount('count', count);
    const list = this.records[object];
    const added: number[] = [];
    for (let k = 0; k < count; k++) {
      const index = list.length;
      const generate = { Account: this.generateAccount, Contact: this.generateContact, Opportunity: this.generateOpportunity, Subscription__c: this.generateSubscription }[object];
      list.push(generate.call(this, index, wholeSecond(now)));
      added.push(index);
    }
    this.changes++;
    return added;
  }

  /** Deletes to the recycle bin; an account takes its contacts and opportunities with it. */
  remove(object: DataObject, indexes: Iterable<number>, now: number = Date.now()): void {
    const at = wholeSecond(now);
    const mark = (record: SfRecord) => {
      if (record.IsDeleted === true) return;
      record.IsDeleted = true;
      record.SystemModstamp = at;
    };
    for (const index of indexes) {
      const record = this.at(object, index);
      mark(record);
      if (object === 'Account') {
        for (const child of [...this.records.Contact, ...this.records.Opportunity]) if (child.AccountId === record.Id) mark(child);
      }
    }
    this.changes++;
  }

  private at(object: DataObject, index: number): SfRecord {
    const record = this.records[object][index];
    if (record === undefined) throw new RangeError(`no ${object} at index ${index} (there are ${this.records[object].length})`);
    return record;
  }

  private id(object: DataObject, index: number): string {
    return recordId(KEY_PREFIX[object], this.pod, index + 1);
  }

  private rng(object: DataObject, index: number): Rng {
    return new Rng(hash32(this.seed, index, SALT[object]));
  }

  /** Skewed towards low indexes, so that a few accounts are big and most are small. */
  private accountFor(index: number, salt: number): string | null {
    const accounts = this.records.Account.length;
    if (accounts === 0) return null;
    const u = unit(this.seed, index, salt);
    return this.records.Account[Math.floor(accounts * u * u)]!.Id as string;
  }

  private generateAccount(i: number, createdAt: number | undefined): SfRecord {
    const rng = this.rng('Account', i);
    const times = timestamps(rng, this.baseTime, createdAt, i % 8 === 5);
    const previous = this.records.Account[i - 1];
    const name = i % 50 === 21 && previous ? String(previous.Name) : `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_KINDS)} ${String(i).padStart(4, '0')} ${rng.pick(COMPANY_SUFFIXES)}`;
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const [city, country] = rng.pick(CITIES);
    const industry = i % 10 === 3 ? null : i % 25 === 7 ? 'technology' : i % 40 === 11 ? INACTIVE_INDUSTRY : rng.pick(INDUSTRIES);
    const revenue = Math.round(10 ** (5 + rng.next() * 4)) * 10;
    return {
      Id: this.id('Account', i),
      Name: name,
      Type: rng.pick(ACCOUNT_TYPES),
      Industry: industry,
      AnnualRevenue: i % 7 === 2 ? null : revenue,
      NumberOfEmployees: i % 9 === 4 ? null : rng.int(1, 250_000),
      Website: i % 30 === 13 ? `www.${slug}.example.com` : `https://www.${slug}.example.com`,
      Phone: `+1 555 ${String(rng.int(0, 9999)).padStart(4, '0')}`,
      BillingCity: city,
      BillingCountry: country,
      Description: i % 20 === 6 ? 'Long notes. '.repeat(2667).slice(0, 32000) : i % 20 === 1 ? UNTIDY_DESCRIPTION : null,
      Tier__c: rng.next() < 0.2 ? null : rng.pick(TIERS),
      Seats__c: rng.next() < 0.15 ? null : rng.int(1, 5000),
      Customer_Since__c: rng.next() < 0.3 ? null : isoDate(times.CreatedDate as number),
      Health_Score__c: rng.next() < 0.25 ? null : rng.int(0, 1000) / 10,
      IsDeleted: false,
      ...times,
    };
  }

  private generateContact(j: number, createdAt: number | undefined): SfRecord {
    const rng = this.rng('Contact', j);
    const times = timestamps(rng, this.baseTime, createdAt, false);
    const previous = this.records.Contact[j - 1];
    const duplicate = (j % 100 === 12 || j % 100 === 58) && previous !== undefined && typeof previous.Email === 'string';
    const first = duplicate ? (previous.FirstName as string | null) : rng.pick(FIRST_NAMES);
    const last = duplicate ? String(previous.LastName) : rng.pick(LAST_NAMES);
    const local = `${(first ?? 'x').toLowerCase()}.${last.toLowerCase().replace(/[^a-z]/g, '')}.${j}`;
    const domain = rng.pick(DOMAINS);
    let email: string | null = `${local}@${domain}`;
    if (duplicate) email = String(previous.Email).toUpperCase();
    else if (j % 25 === 7) email = null;
    else if (j % 20 === 3) email = `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.charAt(0).toUpperCase()}${domain.slice(1)}`;
    return {
      Id: this.id('Contact', j),
      AccountId: j % 50 === 23 ? null : this.accountFor(j, ASSIGNMENT_SALT),
      FirstName: j % 40 === 9 ? null : first,
      LastName: last,
      Email: email,
      Phone: rng.next() < 0.3 ? null : `+1 555 ${String(rng.int(0, 9999)).padStart(4, '0')}`,
      Title: j % 33 === 17 ? `Senior Vice President of Global Customer Success, Strategic Accounts and Partner Enablement (EMEA, APAC and Americas) ${'x'.repeat(20)}`.slice(0, 128) : rng.pick(TITLES),
      Department: rng.pick(DEPARTMENTS),
      LeadSource: j % 45 === 4 ? 'web' : rng.pick(LEAD_SOURCES),
      Birthdate: rng.next() < 0.6 ? null : isoDate(Date.UTC(1960 + rng.int(0, 40), rng.int(0, 11), rng.int(1, 28))),
      HasOptedOutOfEmail: rng.next() < 0.1,
      Description: j % 30 === 11 ? 'Met at the conference. '.repeat(1400).slice(0, 32000) : null,
      Plan__c: rng.next() < 0.2 ? null : rng.pick(PLANS),
      NPS__c: rng.next() < 0.4 ? null : rng.int(-100, 100),
      IsDeleted: false,
      ...times,
    };
  }

  private generateOpportunity(k: number, createdAt: number | undefined): SfRecord {
    const rng = this.rng('Opportunity', k);
    const times = timestamps(rng, this.baseTime, createdAt, false);
    const stage = rng.pick(STAGES);
    return {
      Id: this.id('Opportunity', k),
      AccountId: this.accountFor(k, ASSIGNMENT_SALT + 1),
      Name: `Renewal ${String(k).padStart(5, '0')}`,
      StageName: stage,
      Amount: rng.next() < 0.1 ? null : rng.int(1, 5000) * 100,
      CloseDate: isoDate((times.CreatedDate as number) + rng.int(0, 180) * 86_400_000),
      Probability: stage === 'Closed Won' ? 100 : stage === 'Closed Lost' ? 0 : rng.int(1, 9) * 10,
      IsWon: stage === 'Closed Won',
      IsDeleted: false,
      ...times,
    };
  }

  private generateSubscription(k: number, createdAt: number | undefined): SfRecord {
    const rng = this.rng('Subscription__c', k);
    const times = timestamps(rng, this.baseTime, createdAt, false);
    return {
      Id: this.id('Subscription__c', k),
      Name: `SUB-${String(k + 1).padStart(6, '0')}`,
      Account__c: this.accountFor(k, ASSIGNMENT_SALT + 2),
      Product__c: rng.pick(PRODUCTS),
      Seats__c: rng.int(1, 500),
      Renewal_Date__c: isoDate((times.CreatedDate as number) + 365 * 86_400_000),
      Active__c: rng.next() < 0.8,
      IsDeleted: false,
      ...times,
    };
  }
}

function timestamps(rng: Rng, baseTime: number, createdAt: number | undefined, systemChange: boolean): SfRecord {
  if (createdAt !== undefined) return { CreatedDate: createdAt, LastModifiedDate: createdAt, SystemModstamp: createdAt };
  const created = wholeSecond(baseTime - rng.int(0, INITIAL_SPAN_MS));
  const modified = wholeSecond(created + rng.int(0, baseTime - created));
  const system = systemChange ? wholeSecond(modified + rng.int(0, baseTime - modified)) : modified;
  return { CreatedDate: created, LastModifiedDate: modified, SystemModstamp: system };
}

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

