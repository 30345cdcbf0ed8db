// What a Company Person Sync over a PX dataset must leave behind, computed from the dataset alone
// (the same seed the simulator uses), never from what the engine wrote.
import { PxDataset } from '../../connectors/gainsight-px/simulator/data.js';

export interface Expected {
  users: number;
  /** Users without an email: the job's locked filter drops them. */
  filtered: number;
  /** Users with an email and an account that exists. */
  linked: number;
  /** Users with an email whose account is absent or unknown: failed, naming the lookup. */
  unplaceable: string[];
  /** `lower(email)|accountId` → the px_user_id of the last user with that pair (the later one wins). */
  pairs: Map<string, string>;
  /** Lower-cased emails, one person each. */
  persons: Set<string>;
  /** Account id → name. */
  companies: Map<string, string>;
}

export const pairOf = (email: string, accountId: string) => `${email.toLowerCase()}|${accountId}`;

export function expectationOf(data: { users: number; accounts: number; seed: number }): Expected {
  const dataset = new PxDataset(data);
  const companies = new Map<string, string>();
  for (const account of dataset.accounts()) companies.set(account.id, account.name);
  const expected: Expected = { users: 0, filtered: 0, linked: 0, unplaceable: [], pairs: new Map(), persons: new Set(), companies };
  for (const user of dataset.users()) {
    expected.users++;
    if (user.email === undefined || user.email === '') {
      expected.filtered++;
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
