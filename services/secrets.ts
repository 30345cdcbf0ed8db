// Credentials are encrypted at rest with SECRET_KEY (AES-256-GCM) and only ever decrypted by the
// code that talks to the source, never by the API's read paths.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

export const MASK = '********';

export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    if (secretKey.length < 16) throw new Error('SECRET_KEY must be at least 16 characters long');
    this.key = createHash('sha256').update(secretKey).digest();
  }

  seal(secrets: Record<string, string>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  /** A key for one other purpose (signing console sessions, say), derived from SECRET_KEY and never it. */
  derive(purpose: string): Buffer {
    return createHmac('sha256', this.key).update(`syncline:${purpose}`).digest();
  }

  open(sealed: string | null): Record<string, string> {
    if (!sealed) return {};
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || !body) throw new Error('stored secrets are not in a known format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  }
}
