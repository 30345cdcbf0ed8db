// Pure record generators: the same (seed, index) always gives the same record, so a dataset of a
// million users costs nothing until a record is asked for.
import { hash32, Rng, unit } from './prng.js';
import { PROPERTY_KEY, type PxAccount, type PxLocation, type PxUser, type PxUserType } from './records.js';
import { accountHasWrongTypeSeats, accountLacksNumberOfUsers, userKind } from './untidiness.js';
import {
  ACCOUNT_PLANS, COMPANY_SUFFIXES, EMAIL_DOMAINS, FIRST_NAMES, INDUSTRIES, LAST_NAMES, LOCATIONS, SIC_CODES, TIERS, USER_PLANS,
} from './vocabulary.js';

export interface GenerationContext {
  seed: number;
  baseTime: number;
}

// Salts keep the streams independent: assigning users to accounts must not need the whole record.
const SALT = { account: 1, user: 2, name: 3, assignment: 4 } as const;
/** Initial records were last modified within this long before baseTime. */
export const INITIAL_SPAN_MS = 730 * 24 * 3600 * 1000;

export function accountId(index: number): string {
  return `acc-${String(index).padStart(6, '0')}`;
}

export function userId(index: number): string {
  return `user-${String(index).padStart(7, '0')}`;
}

/** The index an id names, or undefined; exact match only, because ids in paths are case-sensitive. */
export function accountIndexOfId(id: string): number | undefined {
  return indexOfId(id, /^acc-(\d+)$/, accountId);
}

export function userIndexOfId(id: string): number | undefined {
  return indexOfId(id, /^user-(\d+)$/, userId);
}

function indexOfId(id: string, pattern: RegExp, format: (index: number) => string): number | undefined {
  const digits = pattern.exec(id)?.[1];
  if (digits === undefined) return undefined;
  const index = Number(digits);
  return format(index) === id ? index : undefined;
}

/**
 * The account a user belongs to, when it is one that exists. Skewed towards low indexes so that
 * account sizes vary as in real data (a few big accounts, many small ones).
 */
export function assignedAccountIndex(seed: number, userIndex: number, accountCount: number): number | undefined {
  const kind = userKind(userIndex);
  if (kind === 'noAccount' || kind === 'missingAccount' || accountCount === 0) return undefined;
  const u = unit(seed, userIndex, SALT.assignment);
  return Math.floor(accountCount * u * u);
}

interface Timestamps {
  createDate: number;
  lastModifiedDate: number;
  lastSeenDate: number;
}

/** Initial data is spread over the two years up to baseTime; records added later are all `createdAt`. */
function timestamps(rng: Rng, baseTime: number, createdAt: number | undefined): Timestamps {
  const createDate = baseTime - rng.int(0, INITIAL_SPAN_MS);
  const lastModifiedDate = createDate + rng.int(0, baseTime - createDate);
  const lastSeenDate = lastModifiedDate + rng.int(0, baseTime - lastModifiedDate);
  if (createdAt !== undefined) return { createDate: createdAt, lastModifiedDate: createdAt, lastSeenDate: createdAt };
  return { createDate, lastModifiedDate, lastSeenDate };
}

export function accountName(index: number, seed: number): string {
  const suffix = COMPANY_SUFFIXES[hash32(seed, index, SALT.name) % COMPANY_SUFFIXES.length] ?? 'Inc';
  return `Company ${String(index).padStart(6, '0')} ${suffix}`;
}

/** `numberOfUsers` comes from the dataset, which counts the users assigned to each account. */
export function generateAccount(ctx: GenerationContext, index: number, numberOfUsers: number, createdAt?: number): PxAccount {
  const rng = new Rng(hash32(ctx.seed, index, SALT.account));
  const industry = rng.pick(INDUSTRIES);
  const numberOfEmployees = Math.floor(5 * 10 ** (rng.next() * 4));
  const sicCode = rng.pick(SIC_CODES);
  const plan = rng.pick(ACCOUNT_PLANS);
  const location = copyLocation(rng.pick(LOCATIONS));
  const tier = rng.pick(TIERS);
  const seats = rng.int(5, 5000);
  const { createDate, lastModifiedDate } = timestamps(rng, ctx.baseTime, createdAt);
  // Key by key for the same reason as in generateUser.
  const account = { id: accountId(index), name: accountName(index, ctx.seed), propertyKeys: [PROPERTY_KEY], industry, numberOfEmployees } as PxAccount;
  if (!accountLacksNumberOfUsers(index)) account.numberOfUsers = numberOfUsers;
  account.website = `https://www.company${String(index).padStart(6, '0')}.example`;
  account.sicCode = sicCode;
  account.plan = plan;
  account.location = location;
  account.customAttributes = { tier, seats: accountHasWrongTypeSeats(index) ? 'many' : seats, internalId: 100000 + index };
  account.createDate = createDate;
  account.lastModifiedDate = lastModifiedDate;
  return account;
}

export function personName(seed: number, index: number): { firstName: string; lastName: string } {
  const h = hash32(seed, index, SALT.name);
  return { firstName: FIRST_NAMES[h % FIRST_NAMES.length] ?? 'Nora', lastName: LAST_NAMES[(h >>> 8) % LAST_NAMES.length] ?? 'Smith' };
}

// Computed once: normalising names on every record made generation several times slower.
const FIRST_NAME_SLUGS = FIRST_NAMES.map(emailSlug);
const LAST_NAME_SLUGS = LAST_NAMES.map(emailSlug);

function emailSlug(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

/** The lowercase address of user `index`; the index keeps it unique. */
function baseEmail(seed: number, index: number): string {
  const h = hash32(seed, index, SALT.name);
  const first = FIRST_NAME_SLUGS[h % FIRST_NAMES.length] ?? 'nora';
  const last = LAST_NAME_SLUGS[(h >>> 8) % LAST_NAMES.length] ?? 'smith';
  const domain = EMAIL_DOMAINS[(h >>> 16) % EMAIL_DOMAINS.length] ?? 'example.com';
  return `${first}.${last}.${index}@${domain}`;
}

function mixedCase(email: string): string {
  return email.replace(/(^|[.@])([a-z])/g, (_match, separator: string, letter: string) => separator + letter.toUpperCase());
}

function userType(index: number): PxUserType {
  const kind = userKind(index);
  if (kind === 'visitorWithoutEmail') return 'VISITOR';
  if (kind === 'lead') return 'LEAD';
  return 'USER';
}

export function generateUser(ctx: GenerationContext, index: number, accountCount: number, createdAt?: number): PxUser {
  const rng = new Rng(hash32(ctx.seed, index, SALT.user));
  const kind = userKind(index);
  const id = userId(index);
  // A duplicate is the previous user again (same person, same name) under an upper-cased address.
  const { firstName, lastName } = personName(ctx.seed, kind === 'duplicateEmail' ? index - 1 : index);
  const location = copyLocation(rng.pick(LOCATIONS));
  const plan = rng.pick(USER_PLANS);
  const score = rng.int(0, 100);
  const betaTester = rng.next() < 0.2;
  const times = timestamps(rng, ctx.baseTime, createdAt);
  const email = userEmail(ctx.seed, index);
  const accountRef = userAccountId(ctx.seed, index, accountCount);

  // Built key by key rather than with conditional spreads: spreads made every record several times
  // slower to build and to serialise, and this order is the order PX documents the fields in.
  const user = { identifyId: id, id, propertyKeys: [PROPERTY_KEY], type: userType(index) } as PxUser;
  if (email !== undefined) user.email = email;
  user.firstName = firstName;
  user.lastName = lastName;
  if (kind !== 'visitorWithoutEmail') user.signUpDate = times.createDate;
  if (accountRef !== undefined) user.accountId = accountRef;
  user.location = location;
  user.customAttributes = { plan, score: kind === 'wrongTypeScore' ? 'high' : score, betaTester };
  user.createDate = times.createDate;
  user.lastModifiedDate = times.lastModifiedDate;
  user.lastSeenDate = times.lastSeenDate;
  return user;
}

function copyLocation(location: PxLocation): PxLocation {
  return { cityName: location.cityName, stateCode: location.stateCode, countryCode: location.countryCode, countryName: location.countryName };
}

function userEmail(seed: number, index: number): string | undefined {
  switch (userKind(index)) {
    case 'visitorWithoutEmail':
      return undefined;
    case 'duplicateEmail':
      return baseEmail(seed, index - 1).toUpperCase();
    case 'mixedCaseEmail':
      return mixedCase(baseEmail(seed, index));
    default:
      return baseEmail(seed, index);
  }
}

function userAccountId(seed: number, index: number, accountCount: number): string | undefined {
  if (userKind(index) === 'missingAccount') return `acc-missing-${index}`;
  const accountIndex = assignedAccountIndex(seed, index, accountCount);
  return accountIndex === undefined ? undefined : accountId(accountIndex);
}
