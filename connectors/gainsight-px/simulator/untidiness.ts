// Which records are untidy depends only on the index, so the kinds are the same for every seed and
// each one appears in any dataset of 50 users and 14 accounts or more. The rules are listed at the
// top of data.ts.

export type UserKind =
  | 'normal'
  | 'visitorWithoutEmail'
  | 'duplicateEmail'
  | 'noAccount'
  | 'missingAccount'
  | 'mixedCaseEmail'
  | 'lead'
  | 'wrongTypeScore';

// Residues mod 100; the kinds never overlap, and the user before a duplicateEmail user is normal.
const USER_KIND_BY_RESIDUE: ReadonlyMap<number, UserKind> = new Map<number, UserKind>([
  [3, 'mixedCaseEmail'], [29, 'mixedCaseEmail'], [47, 'mixedCaseEmail'], [61, 'mixedCaseEmail'], [95, 'mixedCaseEmail'],
  [5, 'lead'], [36, 'lead'], [80, 'lead'],
  [7, 'visitorWithoutEmail'], [41, 'visitorWithoutEmail'], [74, 'visitorWithoutEmail'],
  [12, 'duplicateEmail'], [58, 'duplicateEmail'],
  [17, 'wrongTypeScore'],
  [23, 'noAccount'], [89, 'noAccount'],
  [31, 'missingAccount'],
]);

export function userKind(index: number): UserKind {
  return USER_KIND_BY_RESIDUE.get(index % 100) ?? 'normal';
}

export function accountLacksNumberOfUsers(index: number): boolean {
  return index % 97 === 13;
}

export function accountHasWrongTypeSeats(index: number): boolean {
  return index % 100 === 7;
}
