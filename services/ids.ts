import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Short, readable, URL-safe ids with a type prefix, e.g. `job_7k2m9xq4ta`. */
export function newId(prefix: 'conn' | 'job' | 'chain' | 'upload'): string {
  const bytes = randomBytes(10);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${id}`;
}
