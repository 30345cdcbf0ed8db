// The S3 client of a connection, and what S3's answers mean for a run: credentials refused and
// missing buckets fail at once with words a person can act on; an endpoint that cannot be reached,
// throttling and 5xx are retried.
import { createHash } from 'node:crypto';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { invalidConfiguration, sourceCredentialsRejected, sourceRequestRejected, sourceUnavailable, SynclineError } from '../../sync/errors.js';

export const SOURCE = 'Amazon S3';

export interface S3Settings {
  bucket: string;
  prefix: string;
  region: string;
  endpoint: string | null;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Clients by settings: a run opens a session every minute, and each reuses its connection's sockets. */
const clients = new Map<string, S3Client>();
const MAX_CLIENTS = 50;

export function s3Client(settings: S3Settings): S3Client {
  const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
  let client = clients.get(key);
  if (!client) {
    client = newClient(settings);
    clients.set(key, client);
    // Settings that changed leave their old client behind: the oldest goes first.
    for (const [oldKey, old] of clients) {
      if (clients.size <= MAX_CLIENTS) break;
      old.destroy();
      clients.delete(oldKey);
    }
  }
  return client;
}

function newClient(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // S3-compatible stores answer at their own address, with the bucket in the path.
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  });
}

const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** S3's answer as a SynclineError; anything already one passes through. */
export function s3Failure(error: unknown, settings: Pick<S3Settings, 'bucket' | 'endpoint' | 'region'>): SynclineError {
  if (error instanceof SynclineError) return error;
  const where = settings.endpoint ?? `region ${settings.region}`;
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    if (CREDENTIAL_CODES.has(error.name) || status === 401 || status === 403) {
      return sourceCredentialsRejected(SOURCE, `${status} ${error.name}`, 'access key (accessKeyId and secretAccessKey)');
    }
    if (error.name === 'NoSuchBucket') return invalidConfiguration(`The bucket "${settings.bucket}" does not exist at ${where}; check the connection's bucket and region.`);
    if (error.name === 'PermanentRedirect' || status === 301) return invalidConfiguration(`The bucket "${settings.bucket}" is in another region than ${settings.region}; set the connection's region to the bucket's.`);
    if (status === 429 || status >= 500 || error.name === 'SlowDown') return sourceUnavailable(SOURCE, `${status} ${error.name}: ${error.message}`);
    return sourceRequestRejected(SOURCE, `${status} ${error.name}: ${error.message}`);
  }
  const code = networkCode(error);
  if (code) return sourceUnavailable(SOURCE, `${where} could not be reached (${code}); check the connection's endpoint, or wait until it is back.`);
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'RequestTimeout')) return sourceUnavailable(SOURCE, `${where} did not answer in time.`);
  return sourceUnavailable(SOURCE, error instanceof Error ? error.message : String(error));
}

function networkCode(error: unknown): string | null {
  for (let cause: unknown = error; cause instanceof Error; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (cause instanceof AggregateError) {
      for (const inner of cause.errors) {
        const found = networkCode(inner);
        if (found) return found;
      }
    }
  }
  return null;
}
