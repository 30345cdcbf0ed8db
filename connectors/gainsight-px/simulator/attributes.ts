// Field metadata as `GET /v1/admin/model/{account|user}/attributes` serves it. Custom attributes
// go by their bare apiName (records carry them under customAttributes.<apiName>). Listing nested
// standard fields by dotted path (`location.cityName`) is a guess: PX does not document it. One
// custom attribute per object is DELETED and on no record, as after an admin removes one: clients
// should skip it.

export type AttributeType = 'STRING' | 'DATE_TIME' | 'BOOLEAN' | 'NUMBER';
export type AttributeOrigin = 'DEFAULT' | 'CUSTOM';
export type AttributeState = 'ENABLED' | 'DISABLED' | 'DELETED';

export interface PxAttribute {
  apiName: string;
  displayName: string;
  type: AttributeType;
  origin: AttributeOrigin;
  state: AttributeState;
  createdDate: number;
  modifiedDate: number;
}

type Definition = readonly [apiName: string, displayName: string, type: AttributeType, origin?: AttributeOrigin, state?: AttributeState];

const LOCATION: readonly Definition[] = [
  ['location.cityName', 'City', 'STRING'],
  ['location.stateCode', 'State Code', 'STRING'],
  ['location.countryCode', 'Country Code', 'STRING'],
  ['location.countryName', 'Country', 'STRING'],
];

const ACCOUNT: readonly Definition[] = [
  ['id', 'Account ID', 'STRING'],
  ['name', 'Name', 'STRING'],
  ['propertyKeys', 'Product Keys', 'STRING'],
  ['industry', 'Industry', 'STRING'],
  ['numberOfEmployees', 'Number of Employees', 'NUMBER'],
  ['numberOfUsers', 'Number of Users', 'NUMBER'],
  ['website', 'Website', 'STRING'],
  ['sicCode', 'SIC Code', 'STRING'],
  ['plan', 'Plan', 'STRING'],
  ...LOCATION,
  ['createDate', 'Create Date', 'DATE_TIME'],
  ['lastModifiedDate', 'Last Modified Date', 'DATE_TIME'],
  ['tier', 'Tier', 'STRING', 'CUSTOM'],
  ['seats', 'Seats', 'NUMBER', 'CUSTOM'],
  ['internalId', 'Internal ID', 'NUMBER', 'CUSTOM'],
  ['legacySegment', 'Legacy Segment', 'STRING', 'CUSTOM', 'DELETED'],
];

const USER: readonly Definition[] = [
  ['identifyId', 'Identify ID', 'STRING'],
  ['id', 'ID', 'STRING'],
  ['propertyKeys', 'Product Keys', 'STRING'],
  ['type', 'Type', 'STRING'],
  ['email', 'Email', 'STRING'],
  ['firstName', 'First Name', 'STRING'],
  ['lastName', 'Last Name', 'STRING'],
  ['signUpDate', 'Sign Up Date', 'DATE_TIME'],
  ['accountId', 'Account ID', 'STRING'],
  ...LOCATION,
  ['createDate', 'Create Date', 'DATE_TIME'],
  ['lastModifiedDate', 'Last Modified Date', 'DATE_TIME'],
  ['lastSeenDate', 'Last Seen Date', 'DATE_TIME'],
  ['plan', 'Plan', 'STRING', 'CUSTOM'],
  ['score', 'Score', 'NUMBER', 'CUSTOM'],
  ['betaTester', 'Beta Tester', 'BOOLEAN', 'CUSTOM'],
  ['legacyRole', 'Legacy Role', 'STRING', 'CUSTOM', 'DELETED'],
];

const DAY_MS = 24 * 3600 * 1000;

export function attributesOf(model: 'account' | 'user', baseTime: number): PxAttribute[] {
  // Standard fields predate the custom ones, which predate the data's base time.
  return (model === 'account' ? ACCOUNT : USER).map(([apiName, displayName, type, origin = 'DEFAULT', state = 'ENABLED']) => {
    const createdDate = baseTime - (origin === 'DEFAULT' ? 1095 : 400) * DAY_MS;
    return { apiName, displayName, type, origin, state, createdDate, modifiedDate: state === 'DELETED' ? baseTime - 30 * DAY_MS : createdDate };
  });
}
