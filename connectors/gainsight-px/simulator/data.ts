/*
 * Seeded Gainsight PX data, generated record by record from (seed, index) so that a million users
 * cost nothing up front. Changes (touches, additions) live in an overlay over the generated data.
 *
 * Ids: account i is `acc-<i, 6 digits>` (index 0 is `acc-000000`), user i is `user-<i, 7 digits>`,
 * and a user's `id` equals its `identifyId`.
 *
 * Initial data: createDate <= lastModifiedDate <= lastSeenDate <= baseTime, spread over the two
 * years before baseTime, so anything modified after baseTime is a change made through this class.
 *
 * Untidiness: decided by index alone (the same for every seed), so each kind appears in any dataset
 * of at least 50 users and 14 accounts, and tests can name the untidy records. For users, by
 * index % 100 (the kinds never overlap):
 *   7, 41, 74        type VISITOR, no `email` key and no `signUpDate` key (3%)
 *   12, 58           `email` is the previous user's address upper-cased, with the previous user's
 *                    first and last name: the same person, usually under another account (2%)
 *   23, 89           no `accountId` key (2%)
 *   31               `accountId` is `acc-missing-<index>`, an account that does not exist (1%)
 *   3, 29, 47, 61, 95  email in mixed case, e.g. `Nora.Smith.3@Example.Com` (5%)
 *   5, 36, 80        type LEAD (3%)
 *   17               customAttributes.score is the string "high" instead of a number (1%)
 *   anything else    type USER, a unique lowercase email, an existing account (skewed: accounts
 *                    with low indexes have many users, those with high indexes few)
 * For accounts:
 *   index % 97 === 13   no `numberOfUsers` key
 *   index % 100 === 7   customAttributes.seats is the string "many" instead of a number
 *   otherwise `numberOfUsers` is exact: the number of users whose accountId names the account.
 *
 * Changes: a touch appends " (rev N)" to an account's name or a user's lastName and sets
 * lastModifiedDate; added records take the next indexes with createDate = lastModifiedDate = now and
 * follow the same untidiness rules. Adding users changes their accounts' numberOfUsers, so those
 * accounts' lastModifiedDate moves to now as well: an incremental read must see the new count.
 */
import {
  accountIndexOfId, assignedAccountIndex, generateAccount, generateUser, userIndexOfId, type GenerationContext,
} from './generate.js';
import type { PxAccount, PxUser } from './records.js';
import { accountLacksNumberOfUsers } from './untidiness.js';
import { poisonAccount, poisonUser } from './poison.js';
import { nextRevision, requireCount } from '../../simulators.js';

export interface PxDataOptions {
  accounts: number;
  users: number;
  seed?: number;
  /** Epoch ms: the initial data was created and last modified at or before this time. */
  baseTime?: number;
  /** A few records carry values no target column can hold (poison.ts). */
  poison?: boolean;
}

export const DEFAULT_BASE_TIME = Date.UTC(2025, 0, 1);

export class PxDataset {
  readonly seed: number;
  readonly baseTime: number;
  private poisoned: boolean;
  private readonly context: GenerationContext;
  private readonly initialAccounts: number;
  private accountTotal: number;
  private userTotal: number;
  private readonly usersPerAccount: number[];
  private readonly accountOverlay = new Map<number, PxAccount>();
  private readonly userOverlay = new Map<number, PxUser>();
  private changes = 0;
  private readonly changedCache = new Map<string, { version: number; indexes: number[] }>();

  constructor(options: PxDataOptions) {
    requireCount('accounts', options.accounts);
    requireCount('users', options.users);
    this.seed = options.seed ?? 1;
    this.baseTime = options.baseTime ?? DEFAULT_BASE_TIME;
    this.poisoned = options.poison === true;
    this.context = { seed: this.seed, baseTime: this.baseTime };
    this.initialAccounts = options.accounts;
    this.accountTotal = options.accounts;
    this.userTotal = options.users;
    this.usersPerAccount = new Array<number>(options.accounts).fill(0);
    for (let i = 0; i < options.users; i++) {
      const account = assignedAccountIndex(this.seed, i, options.accounts);
      if (account !== undefined) this.usersPerAccount[account] = (this.usersPerAccount[account] ?? 0) + 1;
    }
  }

  get accountCount(): number {
    return this.accountTotal;
  }

  get userCount(): number {
    return this.userTotal;
  }

  /** Whether a few records carry values no target column can hold (poison.ts). */
  get poison(): boolean {
    return this.poisoned;
  }

  /** Poisons the dataset, or mends it: the chaos suite's poison scenarios run on the usual data. */
  setPoison(on: boolean): void {
    this.poisoned = on;
    this.changes++;
  }

  /** Grows with every change, so derived views (sorted listings) know when to rebuild. */
  get version(): number {
    return this.changes;
  }

  /** Changed records are returned as stored, not copied: treat every record as read-only. */
  account(index: number): PxAccount {
    requireIndex('account', index, this.accountTotal);
    const numberOfUsers = this.usersPerAccount[index] ?? 0;
    const stored = this.accountOverlay.get(index);
    let account: PxAccount;
    if (stored === undefined) {
      account = generateAccount(this.context, index, numberOfUsers);
    } else {
      if (stored.numberOfUsers !== undefined) stored.numberOfUsers = numberOfUsers;
      account = stored;
    }
    return this.poisoned ? poisonAccount(account, index) : account;
  }

  user(index: number): PxUser {
    requireIndex('user', index, this.userTotal);
    const user = this.userOverlay.get(index) ?? generateUser(this.context, index, this.initialAccounts);
    return this.poisoned ? poisonUser(user, index) : user;
  }

  /** The account with exactly this id (ids are case-sensitive), if it exists. */
  findAccount(id: string): PxAccount | undefined {
    const index = accountIndexOfId(id);
    return index !== undefined && index < this.accountTotal ? this.account(index) : undefined;
  }

  findUser(identifyId: string): PxUser | undefined {
    const index = userIndexOfId(identifyId);
    return index !== undefined && index < this.userTotal ? this.user(index) : undefined;
  }

  /**
   * Indexes of the records changed or added through this class, ascending: every other record is
   * as generated, last modified within INITIAL_SPAN_MS before baseTime.
   */
  changedIndexes(object: 'accounts' | 'users'): readonly number[] {
    const cached = this.changedCache.get(object);
    if (cached?.version === this.changes) return cached.indexes;
    const indexes = [...(object === 'accounts' ? this.accountOverlay : this.userOverlay).keys()].sort((a, b) => a - b);
    this.changedCache.set(object, { version: this.changes, indexes });
    return indexes;
  }

  *accounts(): IterableIterator<PxAccount> {
    for (let i = 0; i < this.accountTotal; i++) yield this.account(i);
  }

  *users(): IterableIterator<PxUser> {
    for (let i = 0; i < this.userTotal; i++) yield this.user(i);
  }

  touchAccounts(indexes: Iterable<number>, now: number = Date.now()): void {
    for (const index of indexes) {
      const current = this.account(index);
      this.accountOverlay.set(index, { ...current, name: nextRevision(current.name), lastModifiedDate: now });
    }
    this.changes++;
  }

  touchUsers(indexes: Iterable<number>, now: number = Date.now()): void {
    for (const index of indexes) {
      const current = this.user(index);
      this.userOverlay.set(index, { ...current, lastName: nextRevision(current.lastName), lastModifiedDate: now });
    }
    this.changes++;
  }

  /** Appends `count` accounts; returns their indexes. */
  addAccounts(count: number, now: number = Date.now()): number[] {
    requireCount('accounts to add', count);
    const added: number[] = [];
    for (let k = 0; k < count; k++) {
      const index = this.accountTotal++;
      this.usersPerAccount.push(0);
      this.accountOverlay.set(index, generateAccount(this.context, index, 0, now));
      added.push(index);
    }
    this.changes++;
    return added;
  }

  /** Appends `count` users, assigned over all current accounts; returns their indexes. */
  addUsers(count: number, now: number = Date.now()): number[] {
    requireCount('users to add', count);
    const added: number[] = [];
    const grownAccounts = new Set<number>();
    for (let k = 0; k < count; k++) {
      const index = this.userTotal++;
      this.userOverlay.set(index, generateUser(this.context, index, this.accountTotal, now));
      const account = assignedAccountIndex(this.seed, index, this.accountTotal);
      if (account !== undefined) {
        this.usersPerAccount[account] = (this.usersPerAccount[account] ?? 0) + 1;
        grownAccounts.add(account);
      }
      added.push(index);
    }
    for (const account of grownAccounts) {
      if (!accountLacksNumberOfUsers(account)) {
        this.accountOverlay.set(account, { ...this.account(account), lastModifiedDate: now });
      }
    }
    this.changes++;
    return added;
  }
}

function requireIndex(what: string, index: number, total: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= total) {
    throw new RangeError(`no ${what} at index ${index} (there are ${total})`);
  }
}
