// Builds the long-lived parts every Syncline process shares from the environment.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const DATA_DIR = join(root, '.data');

/**
 * SECRET_KEY from the environment. In development a key is generated once and kept in .data/,
 * so credentials stored by one start can be read by the next.
 */
export async function secretKey(options: { allowGenerated: boolean }): Promise<string> {
  if (process.env.SECRET_KEY) return process.env.SECRET_KEY;
  if (!options.allowGenerated) throw new Error('SECRET_KEY is not set: it encrypts stored credentials; set it to a long random string.');
  const file = join(DATA_DIR, 'secret-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  await mkdir(DATA_DIR, { recursive: true });
  await writeFile(file, key, { mode: 0o600 });
  return key;
}
