// Errors are values with a code and a sentence a person can act on, made here, one factory per kind.

export type ErrorCode =
  | 'SOURCE_AUTH_REJECTED'
  | 'SOURCE_UNAVAILABLE'
  | 'SOURCE_REQUEST_REJECTED'
  | 'INVALID_CONFIGURATION'
  | 'DEPENDENCY_FAILED'
  | 'RUN_CANCELLED'
  | 'INTERNAL';

export class SynclineError extends Error {
  override readonly name = 'SynclineError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Transient errors are retried with backoff; permanent ones fail the run at once. */
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export const sourceCredentialsRejected = (source: string, status: number | string, credential = 'API key') =>
  new SynclineError(
    'SOURCE_AUTH_REJECTED',
    `${source} rejected the ${credential} (${status}). Update the connection's ${credential} and test the connection again.`,
    false,
  );

export const sourceUnavailable = (source: string, detail: string, retryAfterMs?: number) =>
  new SynclineError('SOURCE_UNAVAILABLE', `${source} is unavailable: ${detail}`, true, retryAfterMs);

export const sourceRequestRejected = (source: string, detail: string) =>
  new SynclineError('SOURCE_REQUEST_REJECTED', `${source} rejected the request: ${detail}`, false);

export const invalidConfiguration = (message: string) =>
  new SynclineError('INVALID_CONFIGURATION', message, false);

export const dependencyFailed = (jobName: string, detail: string) =>
  new SynclineError('DEPENDENCY_FAILED', `Dependency job "${jobName}" did not succeed: ${detail}`, false);
