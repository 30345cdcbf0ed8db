// The worker's log: one JSON line per entry, as the API's request log. Temporal logs every failed
// activity attempt with its error; a failure Syncline explained (an ApplicationFailure: the source
// is down, a key was rejected, a value cannot be stored) is one line with its code and reason, and
// only an error nobody explained (a bug) carries its stack trace.
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

export function workerLogger(level: LogLevel = 'INFO', write: (line: string) => void = (line) => process.stderr.write(line)): DefaultLogger {
  return new DefaultLogger(level, (entry) => write(`${logLine(entry)}\n`));
}

export function logLine(entry: LogEntry): string {
  // A task token is an opaque credential for completing the task: no use to a reader.
  const { error, taskToken: _token, ...meta } = entry.meta ?? {};
  return JSON.stringify({
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level.toLowerCase(),
    msg: entry.message,
    ...meta,
    ...(error === undefined ? {} : describeError(error)),
  }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

/** An ApplicationFailure, also one made inside the workflow sandbox (another realm, so no instanceof). */
function isExplained(error: unknown): error is ApplicationFailure {
  return error instanceof ApplicationFailure || (error instanceof Error && typeof (error as { nonRetryable?: unknown }).nonRetryable === 'boolean' && 'type' in error);
}

function describeError(error: unknown): Record<string, unknown> {
  if (isExplained(error)) return { code: error.type ?? 'INTERNAL', reason: error.message, ...(error.nonRetryable ? { nonRetryable: true } : {}) };
  if (error instanceof Error) return { error: { type: error.name, message: error.message, stack: error.stack } };
  return { error: String(error) };
}
