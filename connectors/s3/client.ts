// The S3 client of a connection, and what S3's answers mean for a run: credentials refused and
// missing buckets fail at once with words a person can act on; an endpoint that cannot be reached,
// throttling and 5xx are retried. Its sockets go out under the outbound policy (an `endpoint` may
// name any host, but not a private or metadata address unless the operator allows it), and of an
// answer only the status and S3's error code are repeated.
import { createHash } from 'node:crypto';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { invalidConfiguration, sourceCredentialsRejected, sourceRequestRejected, sourceUnavailable, SynclineError } from '../../sync/errors.js';
import type { Destination, Outbound } from '../../services/outbound.js';

export const SOURCE = 'Amazon S3';
/** Any host: S3-compatible stores live anywhere. Addresses are checked all the same. */
export const S3_ENDPOINT_DESTINATION: Destination = { name: 'S3 endpoint', hosts: 'any' };

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

export function s3Client(settings: S3Settings, outbound: Outbound): S3Client {
  const key = createHash('sha256').update(JSON.stringify([settings, outbound.policy])).digest('hex');
  let client = clients.get(key);
  if (!client) {
    client = newClient(settings, outbound);
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

function newClient(settings: S3Settings, outbound: Outbound): S3Client {
  return new S3Client({
    region: settings.region,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // S3-compatible stores answer at their own address, with the bucket in the path.
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000, ...outbound.nodeAgents() },
  });
}

const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed']);

/** S3's answer as a SynclineError; anything already one passes through. */
export function s3Failure(error: unknown, settings: Pick<S3Settings, 'bucket' | 'endpoint' | 'region'>): SynclineError {
  if (error instanceof SynclineError) return error;
  const where = settings.endpoint ? hostOf(settings.endpoint) : `region ${settings.region}`;
  if (error instanceof S3ServiceException && error.$metadata.httpStatusCode !== undefined) {
    const status = error.$metadata.httpStatusCode;
    // The code comes from the answer's body: kept only when it looks like one of S3's codes.
    const code = /^[A-Za-z]{1,64}$/.test(error.name) ? error.name : 'Error';
    if (CREDENTIAL_CODES.has(code) || status === 401 || status === 403) {
      return sourceCredentialsRejected(SOURCE, `${status} ${code}`, 'access key (accessKeyId and secretAccessKey)');
    }
    if (code === 'NoSuchBucket') return invalidConfiguration(`The bucket "${settings.bucket}" does not exist at ${where}; check the connection's bucket and region.`);
    if (code === 'PermanentRedirect' || status === 301) return invalidConfiguration(`The bucket "${settings.bucket}" is in another region than ${settings.region}; set the connection's region to the bucket's.`);
    if (status === 429 || status >= 500 || code === 'SlowDown') return sourceUnavailable(SOURCE, `${where} answered ${status} ${code}`);
    return sourceRequestRejected(SOURCE, `${where} answered ${status} ${code}`);
  }
  // Whatever kept an answer from coming (refused, unreachable, timed out, an address the outbound
  // policy refuses), one sentence: errors must not tell what listens where.
  return sourceUnavailable(SOURCE, `could not connect to ${where}; check the connection's endpoint and region, or wait until it is back.`);
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'the endpoint';
  }
}
