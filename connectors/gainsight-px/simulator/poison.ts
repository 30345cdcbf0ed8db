// Values no target column can hold, carried by a few records of a dataset made with `poison: true`
// (the chaos suite's poison scenarios and the tests of record-level isolation). Like untidiness.ts,
// they depend on the index alone, so expectations can name every poisoned record.
import type { PxAccount, PxUser } from './records.js';

export type UserPoison = 'nulInFirstName' | 'signUpAfterYear9999' | 'emailTooLongForIndex' | 'nulInUnmappedAttribute';
export type AccountPoison = 'usersBeyondInteger' | 'nulInName';

const USER_CYCLE = 500;
// Residues whose untidiness kind (index % 100) is "normal", so each poisoned user is otherwise tidy.
const USER_POISON_BY_RESIDUE: ReadonlyMap<number, UserPoison> = new Map<number, UserPoison>([
  [101, 'nulInFirstName'],
  [202, 'signUpAfterYear9999'],
  [304, 'emailTooLongForIndex'],
  [406, 'nulInUnmappedAttribute'],
]);

const ACCOUNT_CYCLE = 50;
const ACCOUNT_POISON_BY_RESIDUE: ReadonlyMap<number, AccountPoison> = new Map<number, AccountPoison>([
  [21, 'usersBeyondInteger'],
  [42, 'nulInName'],
]);

/** 10000-01-01T00:00:00Z: a JavaScript Date, but no four-digit ISO year and no column of ours. */
const YEAR_10000_MS = 253_402_300_800_000;

export function userPoison(index: number): UserPoison | undefined {
  return USER_POISON_BY_RESIDUE.get(index % USER_CYCLE);
}

export function accountPoison(index: number): AccountPoison | undefined {
  return ACCOUNT_POISON_BY_RESIDUE.get(index % ACCOUNT_CYCLE);
}

/** Poisons a record as it is read; idempotent, since changed records are stored poisoned. */
export function poisonUser(user: PxUser, index: number): PxUser {
  switch (userPoison(index)) {
    case 'nulInFirstName':
      return user.firstName.includes('\u0000') ? user : { ...user, firstName: `${user.firstName}\u0000` };
    case 'signUpAfterYear9999':
      return { ...user, signUpDate: YEAR_10000_MS };
    case 'emailTooLongForIndex':
      return user.email === undefined || user.email.length > 2_100 ? user : { ...user, email: `${'x'.repeat(2_100)}.${user.email}` };
    case 'nulInUnmappedAttribute': {
      // Fails its lookup (no account), so the record is kept with the run's errors: it must be storable.
      const { accountId: _dropped, ...rest } = user;
      return { ...rest, customAttributes: { ...user.customAttributes, plan: 'gold\u0000' } };
    }
    default:
      return user;
  }
}

export function poisonAccount(account: PxAccount, index: number): PxAccount {
  switch (accountPoison(index)) {
    case 'usersBeyondInteger':
      return { ...account, numberOfUsers: 3_000_000_000 };
    case 'nulInName':
      return account.name.includes('\u0000') ? account : { ...account, name: `${account.name}\u0000` };
    default:
      return account;
  }
}
