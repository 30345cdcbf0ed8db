// Activities speak SynclineError; Temporal needs ApplicationFailure. The translation lives here so
// that retry decisions (transient or permanent, Retry-After) are made in exactly one place.
import { ApplicationFailure } from '@temporalio/common';
import { SynclineError } from '../sync/errors.js';
import { PlanError } from '../sync/plan.js';
import { isDataError } from './isolate.js';

export function toFailure(error: unknown): unknown {
  if (error instanceof SynclineError) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.code,
      nonRetryable: !error.retryable,
      ...(error.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(error.retryAfterMs, 1000) } : {}),
    });
  }
  if (error instanceof PlanError) {
    return ApplicationFailure.create({ message: error.message, type: 'INVALID_CONFIGURATION', nonRetryable: true });
  }
  // Records are isolated from the data errors they cause (activities/isolate.ts); one that still
  // escapes came with something else the source sent (a page cursor, a file name) and would fail
  // the same way on every retry.
  if (isDataError(error)) {
    return ApplicationFailure.create({ message: `The database refused data the source sent: ${error.message}`, type: 'DATA_REJECTED', nonRetryable: true });
  }
  return error;
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

export function withFailureTranslation<T extends Record<string, AnyActivity>>(activities: T): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        throw toFailure(error);
      }
    };
  }
  return wrapped as T;
}
