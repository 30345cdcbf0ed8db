// A file uploaded to a Bulk API job, staged into PostgreSQL as it streams in: the header is checked
// against what the job reads before anything is kept, then every line is copied into staged_rows in
// one transaction, so an upload is staged whole or not at all and never held in memory.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from '../../db/client.js';
import { readCsv, type CsvEntry, type Delimiter } from '../files/csv.js';
import { forbiddenColumns, headerOf, missingColumns } from '../files/records.js';

/** How long one upload may stream in: a gigabyte at 1 MB/s and then some. */
export const MAX_UPLOAD_MS = 60 * 60_000;

export interface UploadInput {
  id: string;
  jobId: string;
  name: string;
  delimiter: Delimiter;
  /** The source fields the job reads; each must be a column of the header. */
  fields: string[];
  body: Readable;
}

export type StageResult =
  | { staged: true; id: string; header: string[]; rows: number; malformed: number }
  | { staged: false; reason: 'no_header' }
  | { staged: false; reason: 'forbidden_columns'; header: string[]; columns: string[] }
  | { staged: false; reason: 'missing_columns'; header: string[]; missing: string[] };

export async function stageUpload(sql: Sql, input: UploadInput): Promise<StageResult> {
  const entries = readCsv(input.body, input.delimiter);
  const first = await entries.next();
  if (first.done || !first.value.fields) {
    await entries.return(undefined);
    return { staged: false, reason: 'no_header' };
  }
  const header = headerOf(first.value.fields);
  const forbidden = forbiddenColumns(header);
  if (forbidden.length > 0) {
    await entries.return(undefined);
    return { staged: false, reason: 'forbidden_columns', header, columns: forbidden };
  }
  const missing = missingColumns(header, input.fields);
  if (missing.length > 0) {
    await entries.return(undefined);
    return { staged: false, reason: 'missing_columns', header, missing };
  }
  const counts = { rows: 0, malformed: 0 };
  await sql.begin(async (tx) => {
    // A gigabyte streams in for longer than the pool's statement timeout; the request's own timeout bounds it.
    await tx`select set_config('statement_timeout', ${String(MAX_UPLOAD_MS)}, true)`;
    await tx`
      insert into uploads (id, job_id, name, delimiter, header, rows, malformed)
      values (${input.id}, ${input.jobId}, ${input.name}, ${input.delimiter}, ${JSON.stringify(header)}::jsonb, 0, 0)`;
    const copy = await tx`copy staged_rows (upload_id, n, line, fields, problem) from stdin`.writable();
    await pipeline(Readable.from(copyLines(input.id, header.length, entries, counts)), copy);
    await tx`update uploads set rows = ${counts.rows}, malformed = ${counts.malformed}, received_at = clock_timestamp() where id = ${input.id}`;
  });
  return { staged: true, id: input.id, header, ...counts };
}

/** COPY's text format, a few hundred lines per chunk. */
async function* copyLines(uploadId: string, width: number, entries: AsyncGenerator<CsvEntry>, counts: { rows: number; malformed: number }): AsyncGenerator<string> {
  const id = escape(uploadId);
  let chunk = '';
  for await (const entry of entries) {
    counts.rows++;
    let fields = entry.fields;
    let problem = entry.problem;
    if (fields?.some((f) => f.includes('\0'))) {
      fields = null;
      problem = 'the line holds a NUL character, which no field can store';
    }
    if (!fields || fields.length !== width) counts.malformed++;
    chunk += `${id}\t${counts.rows}\t${entry.line}\t${fields ? escape(JSON.stringify(fields)) : '\\N'}\t${problem === null ? '\\N' : escape(problem)}\n`;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const escape = (text: string) => text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
