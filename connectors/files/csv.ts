// Reading CSV and TSV as a stream of records that know where they start (a line a person can find)
// and where they end (a byte offset to resume from). A line that cannot be read is an entry with a
// problem, not the end of the file.
import type { Readable } from 'node:stream';
import { parse, type CsvError, type InfoRecord } from 'csv-parse';

export type Delimiter = 'comma' | 'tab';
export const DELIMITERS: readonly Delimiter[] = ['comma', 'tab'];
const CHARACTERS: Record<Delimiter, string> = { comma: ',', tab: '\t' };

export interface CsvEntry {
  /** The line of the file the record starts on. */
  line: number;
  /** The line it ends on (a quoted field may hold line breaks). */
  endLine: number;
  /** The byte offset just past the record's line break: where the next record starts. */
  end: number;
  fields: string[] | null;
  /** Why the line could not be read as a record; null for a record. */
  problem: string | null;
}

export interface CsvPosition {
  /** Bytes of the file before the input (a resumed read starts mid-file). */
  offset: number;
  /** The last line before the input. */
  line: number;
}

/**
 * Quoted fields may hold delimiters and line breaks; a leading UTF-8 BOM is dropped; CRLF and LF
 * both end a line. Quotes inside unquoted fields are kept as text rather than swallowing the file.
 */
export async function* readCsv(input: Readable, delimiter: Delimiter, from: CsvPosition = { offset: 0, line: 0 }): AsyncGenerator<CsvEntry> {
  // Skips are reported beside the records, not among them: each is noted with the number of
  // records parsed before it and handed out in file order.
  const skipped: { after: number; bytes: number; problem: string }[] = [];
  const parser = parse({
    bom: true,
    delimiter: CHARACTERS[delimiter],
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      skipped.push({ after: parser.info.records, bytes: parser.info.bytes, problem: describe(error) });
      return undefined;
    },
  });
  let read = 0;
  input.on('data', (chunk: Buffer) => (read += chunk.length));
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  // Lines are counted here rather than taken from the parser, which counts a CRLF inside a quoted
  // field as two lines: a record starts after the previous one and the empty lines skipped since.
  let lastLine = from.line;
  let emptyLines = 0;
  const skip = (bytes: number, problem: string): CsvEntry => ({ line: lastLine + 1, endLine: lastLine + 1, end: from.offset + bytes, fields: null, problem });
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: InfoRecord }>) {
      while (skipped[0] && skipped[0].after < info.records) {
        const { bytes, problem } = skipped.shift()!;
        yield skip(bytes, problem);
      }
      const line = lastLine + 1 + info.empty_lines - emptyLines;
      lastLine = line + lineBreaksIn(record);
      emptyLines = info.empty_lines;
      yield { line, endLine: lastLine, end: from.offset + info.bytes, fields: record, problem: null };
    }
    // A skip after the last record ran to the end of the input: resuming must start past it.
    for (const { problem } of skipped.splice(0)) yield skip(read, problem);
  } finally {
    input.unpipe(parser);
    parser.destroy();
  }
}

function describe(error: CsvError | undefined): string {
  if (error?.code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted field opened on this line is never closed, so the rest of the file could not be read';
  return error ? `the line could not be read: ${error.message}` : 'the line could not be read';
}

/** Line breaks as a person counts them: CRLF, LF or a lone CR. */
function lineBreaksIn(fields: string[]): number {
  let count = 0;
  for (const field of fields) {
    for (let i = 0; i < field.length; i++) {
      const c = field.charCodeAt(i);
      if (c === 10 || (c === 13 && field.charCodeAt(i + 1) !== 10)) count++;
    }
  }
  return count;
}
