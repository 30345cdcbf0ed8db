// What a Company Person Sync over a PX dataset must leave behind, computed from the dataset alone
// (the same seed the simulator uses), never from what the engine wrote.
import { PxDataset } from '../../connectors/gainsight-px/simulator/data.js';
import { accountPoison, userPoison } from '../../connectors/gainsight-px/simulator/poison.js';

export interface Expected {
  users: number;
  /** Users without an email: the job's locked filter drops them. */
  filtered: number;
  /** Users with an email and an account that exists. */
  linked: number;
  /** Users with an email whose account is absent or unknown: failed, naming the lookup. */
  unplaceable: string[];
  /** Users carrying a value no column holds (a poisoned dataset): failed, naming the field. */
  poisoned: string[];
  /** Accounts carrying a value no column holds: Company Sync fails them, naming the field. */
  poisonedAccounts: string[];
  /** `lower(email)|accountId` → the px_user_id of the last user with that pair (the later one wins). */
  pairs: Map<string, string>;
  /** Lower-cased emails, one person each. */
  persons: Set<string>;
  /** Account id → name, of the accounts that become companies. */
  companies: Map<string, string>;
}

export const pairOf = (email: string, accountId: string) => `${email.toLowerCase()}|${accountId}`;

export function expectationOf(data: { users: number; accounts: number; seed: number; poison?: boolean }): Expected {
  const dataset = new PxDataset(data);
  const companies = new Map<string, string>();
  const poisonedAccounts: string[] = [];
  let index = 0;
  for (const account of dataset.accounts()) {
    if (data.poison && accountPoison(index) !== undefined) poisonedAccounts.push(account.id);
    else companies.set(account.id, account.name);
    index++;
  }
  const expected: Expected = { users: 0, filtered: 0, linked: 0, unplaceable: [], poisoned: [], poisonedAccounts, pairs: new Map(), persons: new Set(), companies };
  index = 0;
  for (const user of dataset.users()) {
    const poison = data.poison ? userPoison(index) : undefined;
    index++;
    expected.users++;
    if (user.email === undefined || user.email === '') {
      expected.filtered++;
    } else if (poison !== undefined && poison !== 'nulInUnmappedAttribute') {
      expected.poisoned.push(user.identifyId);
    } else if (user.accountId === undefined || !companies.has(user.accountId)) {
      expected.unplaceable.push(user.identifyId);
    } else {
      expected.linked++;
      expected.pairs.set(pairOf(user.email, user.accountId), user.identifyId);
      expected.persons.add(user.email.toLowerCase());
    }
  }
  return expected;
}
