// Salesforce record ids: a three-character key prefix naming the object, then the record's number,
// 15 case-sensitive characters in all, and the 18-character form that appends a checksum of the
// letters' case so that case-insensitive tools can tell ids apart (what every API answer carries).

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
/** The 18-character id of record `n` of the object with this key prefix, on an instance (`pod`, two characters). */
export function recordId(keyPrefix: string, pod: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`record number must be a non-negative integer, got ${n}`);
  let digits = '';
  for (let rest = n; rest > 0; rest = Math.floor(rest / 62)) digits = BASE62[rest % 62]! + digits;
  const id15 = `${keyPrefix}${pod}${digits.padStart(10, '0')}`;
  return id15 + caseSafeSuffix(id15);
}

/** Each 5-character chunk gives one suffix character: bit i set when character i is upper case. */
export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const char = id15.charAt(chunk * 5 + i);
      if (char >= 'A' && char <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits]!;
  }
  return suffix;
}
