// A failed record as the run's errors keep it: whatever the source sent, it must be storable, or the
// record that failed would fail its page a second time. PostgreSQL cannot hold U+0000 in text or
// jsonb, so it is kept as U+FFFD; a record larger than MAX_RECORD_CHARS is kept as its beginning,
// marked truncated, so a million-character record cannot blow up a page's transaction.
import type { RecordFailure } from '../sync/transform.js';

export const MAX_RECORD_CHARS = 64 * 1024;
const MAX_SOURCE_ID_CHARS = 1_000;
const MAX_REASON_CHARS = 2_000;
/** What a truncated record keeps of its JSON, as text a person can read. */
const HEAD_CHARS = 2_000;

export interface StoredFailure {
  sourceId: string | null;
  /** JSON. */
  keyValues: string;
  reason: string;
  /** JSON. */
  record: string;
  truncated: boolean;
  rejected: boolean;
}

export function storedFailures(failures: RecordFailure[]): StoredFailure[] {
  return failures.map((f) => {
    const record = storableJson(f.source);
    // A record stored truncated before (a retry passing it on) is that beginning already.
    const alreadyTruncated = f.truncated === true;
    const truncated = alreadyTruncated || record.length > MAX_RECORD_CHARS;
    return {
      sourceId: f.sourceId === null ? null : storableText(f.sourceId).slice(0, MAX_SOURCE_ID_CHARS),
      keyValues: truncateJson(storableJson(f.keyValues)),
      reason: storableText(f.reason).slice(0, MAX_REASON_CHARS),
      record: alreadyTruncated ? truncateJson(record) : truncated ? JSON.stringify({ truncated: true, chars: record.length, head: record.slice(0, HEAD_CHARS) }) : record,
      truncated,
      rejected: f.rejected === true,
    };
  });
}

const storableText = (text: string) => text.replaceAll('\u0000', '\uFFFD');

/**
 * JSON.stringify writes U+0000 as the escape `\u0000`, which jsonb refuses; only a backslash that is
 * not itself escaped starts one (`\\u0000` is the text "\u0000" and stays).
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}

function truncateJson(json: string): string {
  return json.length > MAX_RECORD_CHARS ? JSON.stringify({ truncated: true, chars: json.length }) : json;
}
