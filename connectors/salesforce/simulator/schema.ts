// The simulated org's object model, as the REST describe calls present it: standard objects
// (Account, Contact, Opportunity), standard fields with Salesforce's names and types, custom fields
// (`__c`) on them and one custom object. Types, lengths and the filterable flag follow Salesforce's
// published field reference; the picklist values are a small plausible set (a guess).

export type SfFieldType =
  | 'id' | 'string' | 'picklist' | 'multipicklist' | 'textarea' | 'email' | 'phone' | 'url'
  | 'boolean' | 'int' | 'double' | 'currency' | 'percent' | 'date' | 'datetime' | 'reference';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

export interface SfField {
  name: string;
  label: string;
  type: SfFieldType;
  custom: boolean;
  nillable: boolean;
  filterable: boolean;
  sortable: boolean;
  length: number;
  precision: number;
  scale: number;
  referenceTo: string[];
  relationshipName: string | null;
  picklistValues: PicklistValue[];
}

export interface SfObject {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  fields: SfField[];
}

type Extra = Partial<Omit<SfField, 'name' | 'label' | 'type'>>;

const TEXT_LENGTH: Partial<Record<SfFieldType, number>> = { id: 18, reference: 18, string: 255, email: 80, phone: 40, url: 255, picklist: 255, multipicklist: 4099, textarea: 255 };

function field(name: string, label: string, type: SfFieldType, extra: Extra = {}): SfField {
  return {
    name,
    label,
    type,
    custom: name.endsWith('__c'),
    nillable: type !== 'id' && type !== 'boolean',
    // Long text areas cannot be filtered or sorted on, as in Salesforce.
    filterable: !(type === 'textarea' && (extra.length ?? 255) > 255),
    sortable: !(type === 'textarea' && (extra.length ?? 255) > 255),
    length: TEXT_LENGTH[type] ?? 0,
    precision: type === 'currency' || type === 'double' || type === 'percent' ? 18 : type === 'int' ? 9 : 0,
    scale: type === 'currency' || type === 'percent' ? 2 : 0,
    referenceTo: [],
    relationshipName: null,
    picklistValues: [],
    ...extra,
  };
}

const picklist = (values: readonly string[], inactive: readonly string[] = []): PicklistValue[] => [
  ...values.map((value) => ({ value, label: value, active: true, defaultValue: false })),
  ...inactive.map((value) => ({ value, label: value, active: false, defaultValue: false })),
];

const reference = (to: string, relationshipName: string): Extra => ({ referenceTo: [to], relationshipName });

/** Every object carries these, in this order, after its own fields. */
const system = (): SfField[] => [
  field('IsDeleted', 'Deleted', 'boolean'),
  field('CreatedDate', 'Created Date', 'datetime', { nillable: false }),
  field('LastModifiedDate', 'Last Modified Date', 'datetime', { nillable: false }),
  field('SystemModstamp', 'System Modstamp', 'datetime', { nillable: false }),
];

export const INDUSTRIES = ['Agriculture', 'Banking', 'Consulting', 'Education', 'Healthcare', 'Manufacturing', 'Media', 'Retail', 'Technology', 'Telecommunications'] as const;
/** A value an admin deactivated: old records keep it. */
export const INACTIVE_INDUSTRY = 'Dot Com';
export const ACCOUNT_TYPES = ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other'] as const;
export const TIERS = ['Bronze', 'Silver', 'Gold', 'Platinum'] as const;
export const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Trade Show', 'Other'] as const;
export const PLANS = ['Free', 'Starter', 'Pro', 'Enterprise'] as const;
export const STAGES = ['Prospecting', 'Qualification', 'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won', 'Closed Lost'] as const;
export const PRODUCTS = ['Core', 'Analytics', 'Engage', 'Support Plus'] as const;

export const OBJECTS: readonly SfObject[] = [
  {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    custom: false,
    fields: [
      field('Id', 'Account ID', 'id', { nillable: false }),
      field('Name', 'Account Name', 'string', { nillable: false }),
      field('Type', 'Account Type', 'picklist', { picklistValues: picklist(ACCOUNT_TYPES) }),
      field('Industry', 'Industry', 'picklist', { picklistValues: picklist(INDUSTRIES, [INACTIVE_INDUSTRY]) }),
      field('AnnualRevenue', 'Annual Revenue', 'currency'),
      field('NumberOfEmployees', 'Employees', 'int', { precision: 8 }),
      field('Website', 'Website', 'url'),
      field('Phone', 'Account Phone', 'phone'),
      field('BillingCity', 'Billing City', 'string', { length: 40 }),
      field('BillingCountry', 'Billing Country', 'string', { length: 80 }),
      field('Description', 'Account Description', 'textarea', { length: 32000 }),
      field('Tier__c', 'Tier', 'picklist', { picklistValues: picklist(TIERS) }),
      field('Seats__c', 'Seats', 'double', { precision: 18, scale: 0 }),
      field('Customer_Since__c', 'Customer Since', 'date'),
      field('Health_Score__c', 'Health Score', 'percent'),
      ...system(),
    ],
  },
  {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    custom: false,
    fields: [
      field('Id', 'Contact ID', 'id', { nillable: false }),
      field('AccountId', 'Account ID', 'reference', reference('Account', 'Account')),
      field('FirstName', 'First Name', 'string', { length: 40 }),
      field('LastName', 'Last Name', 'string', { length: 80, nillable: false }),
      field('Email', 'Email', 'email'),
      field('Phone', 'Business Phone', 'phone'),
      field('Title', 'Title', 'string', { length: 128 }),
      field('Department', 'Department', 'string', { length: 80 }),
      field('LeadSource', 'Lead Source', 'picklist', { picklistValues: picklist(LEAD_SOURCES) }),
      field('Birthdate', 'Birthdate', 'date'),
      field('HasOptedOutOfEmail', 'Email Opt Out', 'boolean'),
      field('Description', 'Contact Description', 'textarea', { length: 32000 }),
      field('Plan__c', 'Plan', 'picklist', { picklistValues: picklist(PLANS) }),
      field('NPS__c', 'NPS', 'double', { precision: 3, scale: 0 }),
      ...system(),
    ],
  },
  {
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: '006',
    custom: false,
    fields: [
      field('Id', 'Opportunity ID', 'id', { nillable: false }),
      field('AccountId', 'Account ID', 'reference', reference('Account', 'Account')),
      field('Name', 'Name', 'string', { length: 120, nillable: false }),
      field('StageName', 'Stage', 'picklist', { nillable: false, picklistValues: picklist(STAGES) }),
      field('Amount', 'Amount', 'currency'),
      field('CloseDate', 'Close Date', 'date', { nillable: false }),
      field('Probability', 'Probability (%)', 'percent', { precision: 3, scale: 0 }),
      field('IsWon', 'Won', 'boolean'),
      ...system(),
    ],
  },
  {
    name: 'Subscription__c',
    label: 'Subscription',
    labelPlural: 'Subscriptions',
    keyPrefix: 'a0B',
    custom: true,
    fields: [
      field('Id', 'Record ID', 'id', { nillable: false }),
      field('Name', 'Subscription Name', 'string', { length: 80, nillable: false }),
      field('Account__c', 'Account', 'reference', reference('Account', 'Account__r')),
      field('Product__c', 'Product', 'picklist', { picklistValues: picklist(PRODUCTS) }),
      field('Seats__c', 'Seats', 'double', { precision: 18, scale: 0 }),
      field('Renewal_Date__c', 'Renewal Date', 'date'),
      field('Active__c', 'Active', 'boolean'),
      ...system(),
    ],
  },
];

const BY_NAME = new Map(OBJECTS.map((o) => [o.name.toLowerCase(), o]));

/** Object names are case-insensitive in SOQL and in REST paths. */
export function findObject(name: string): SfObject | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export function findField(object: SfObject, name: string): SfField | undefined {
  const lower = name.toLowerCase();
  return object.fields.find((f) => f.name.toLowerCase() === lower);
}
