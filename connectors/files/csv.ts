// Reading CSV and TSV as a stream of records that know where they start (a line a person can find)
// and where they end (a byte offset to resume from). A line that cannot be read is an entry with a
// problem, not the end of the file, and no record may be larger than MAX_RECORD_BYTES: a quote that
// is never closed, or a line of hundreds of megabytes, is one failed entry and the file goes on.
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { Parser, type CsvError, type InfoRecord } from 'csv-parse';

export type Delimiter = 'comma' | 'tab';
export const DELIMITERS: readonly Delimiter[] = ['comma', 'tab'];
const CHARACTERS: Record<Delimiter, string> = { comma: ',', tab: '\t' };

/** The largest record read; a larger one is skipped up to the end of the line it starts on. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** A page of a file ends after this many bytes even when it has fewer records than its size. */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;

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

const LINE_FEED = 0x0a;

/**
 * Quoted fields may hold delimiters and line breaks; a leading UTF-8 BOM is dropped; CRLF and LF
 * both end a line. Quotes inside unquoted fields are kept as text rather than swallowing the file.
 */
export async function* readCsv(input: Readable, delimiter: Delimiter, from: CsvPosition = { offset: 0, line: 0 }): AsyncGenerator<CsvEntry> {
  const reader = new BoundedCsvReader(delimiter, from);
  try {
    // A stream of text (Readable.from a string) is read as its UTF-8 bytes: offsets count bytes.
    for await (const chunk of input as AsyncIterable<Buffer | string>) yield* reader.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    yield* await reader.finish();
  } finally {
    reader.close();
  }
}

interface Skip {
  /** Records parsed before it: skips are handed out in file order among the records. */
  after: number;
  bytes: number;
  problem: string;
}

/**
 * Drives csv-parse's stream by hand, a chunk at a time, so that a record growing past the bound
 * can be dropped: the parser is replaced by a new one that starts after the line break that ends
 * the oversized record's first line. The bytes since the last record's end are kept to find it
 * (at most MAX_RECORD_BYTES and a chunk).
 */
class BoundedCsvReader {
  private parser!: Parser;
  /** Absolute offset of the current parser's first byte. */
  private base: number;
  /** The last line before the next record; empty lines skipped since are counted by the parser. */
  private lastLine: number;
  private emptyLinesSeen = 0;
  private skipped: Skip[] = [];
  private oversized = false;
  /** The input ended inside a quoted field. */
  private unclosed = false;
  /** Raw bytes from `tailStart` (the end of the last entry) to what was fed. */
  private tail: Buffer = Buffer.alloc(0);
  private tailStart: number;
  /** Set while looking for the line break that ends an oversized record's first line. */
  private dropping: { line: number } | null = null;
  private fed = 0;
  private failed: Error | null = null;

  constructor(
    private readonly delimiter: Delimiter,
    from: CsvPosition,
  ) {
    this.base = from.offset;
    this.tailStart = from.offset;
    this.lastLine = from.line;
    this.parser = this.newParser(from.offset === 0);
  }

  private newParser(atFileStart: boolean): Parser {
    this.emptyLinesSeen = 0;
    this.skipped = [];
    this.oversized = false;
    this.unclosed = false;
    this.fed = 0;
    const parser: Parser = new Parser({
      bom: atFileStart,
      delimiter: CHARACTERS[this.delimiter],
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_BYTES,
      on_skip: (error) => {
        if (error?.code === 'CSV_MAX_RECORD_SIZE') this.oversized = true;
        else if (error?.code === 'CSV_QUOTE_NOT_CLOSED') this.unclosed = true;
        else if (!this.oversized) this.skipped.push({ after: parser.info.records, bytes: parser.info.bytes, problem: describe(error) });
        return undefined;
      },
    });
    // With every record error skipped, what is left (a broken option) ends the read.
    parser.on('error', (error: Error) => (this.failed ??= error));
    return parser;
  }

  *feed(chunk: Buffer): Generator<CsvEntry> {
    if (this.dropping) {
      const lineFeed = chunk.indexOf(LINE_FEED);
      if (lineFeed < 0) {
        this.tailStart += chunk.length;
        return;
      }
      yield* this.resumeAfter(this.dropping.line, this.tailStart + lineFeed + 1, chunk.subarray(lineFeed + 1), OVERSIZED);
      return;
    }
    this.tail = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    yield* this.parse(chunk);
  }

  /**
   * Ends the input: the parser flushes a last record without a line break, asynchronously. A quote
   * opened and never closed held the rest of the input as one field: that line alone is skipped and
   * the lines after it are read again, as they would be after an oversized record.
   */
  async finish(): Promise<CsvEntry[]> {
    const entries: CsvEntry[] = [];
    for (;;) {
      if (this.dropping) {
        entries.push(this.dropped(this.dropping.line, this.tailStart, OVERSIZED));
        return entries;
      }
      const finished = once(this.parser, 'finish');
      this.parser.end();
      await finished;
      entries.push(...this.drain(true));
      if (!this.unclosed) return entries;
      const line = this.lastLine + 1;
      const lineFeed = this.tail.indexOf(LINE_FEED);
      if (lineFeed < 0) {
        entries.push(this.dropped(line, this.tailStart + this.tail.length, UNCLOSED));
        return entries;
      }
      entries.push(...this.resumeAfter(line, this.tailStart + lineFeed + 1, this.tail.subarray(lineFeed + 1), UNCLOSED));
    }
  }

  close(): void {
    this.parser.destroy();
  }

  private *parse(chunk: Buffer): Generator<CsvEntry> {
    this.fed += chunk.length;
    this.parser.write(chunk);
    yield* this.drain(false);
    if (!this.oversized) return;
    // Lines skipped before it come first; the record too large started where the last entry ended.
    for (const skip of this.skipped.splice(0)) yield this.skip(skip);
    const line = this.lastLine + 1;
    this.parser.destroy();
    const lineFeed = this.tail.indexOf(LINE_FEED);
    if (lineFeed < 0) {
      this.tailStart += this.tail.length;
      this.tail = Buffer.alloc(0);
      this.dropping = { line };
      return;
    }
    yield* this.resumeAfter(line, this.tailStart + lineFeed + 1, this.tail.subarray(lineFeed + 1), OVERSIZED);
  }

  /** One entry for the dropped record, then a new parser from `offset`, fed `rest` first. */
  private *resumeAfter(line: number, offset: number, rest: Buffer, problem: string): Generator<CsvEntry> {
    this.dropping = null;
    yield this.dropped(line, offset, problem);
    this.lastLine = line;
    this.base = offset;
    this.tailStart = offset;
    this.tail = Buffer.alloc(0);
    this.parser = this.newParser(false);
    if (rest.length > 0) yield* this.feed(rest);
  }

  private dropped(line: number, end: number, problem: string): CsvEntry {
    return { line, endLine: line, end, fields: null, problem };
  }

  private *drain(ended: boolean): Generator<CsvEntry> {
    if (this.failed) throw this.failed;
    for (;;) {
      const next = this.parser.read() as { record: string[]; info: InfoRecord } | null;
      if (next === null) break;
      const { record, info } = next;
      while (this.skipped[0] && this.skipped[0].after < info.records) yield this.skip(this.skipped.shift()!);
      const line = this.lastLine + 1 + info.empty_lines - this.emptyLinesSeen;
      this.lastLine = line + lineBreaksIn(record);
      this.emptyLinesSeen = info.empty_lines;
      yield this.entered({ line, endLine: this.lastLine, end: this.base + info.bytes, fields: record, problem: null });
    }
    // A skip after the last record ran to the end of the input: resuming must start past it.
    if (ended && !this.oversized) for (const skip of this.skipped.splice(0)) yield this.skip({ ...skip, bytes: this.fed });
  }

  private skip({ bytes, problem }: Skip): CsvEntry {
    return this.entered({ line: this.lastLine + 1, endLine: this.lastLine + 1, end: this.base + bytes, fields: null, problem });
  }

  /** Bytes before an entry's end are never needed again. */
  private entered(entry: CsvEntry): CsvEntry {
    if (entry.end > this.tailStart) {
      this.tail = this.tail.subarray(Math.min(entry.end - this.tailStart, this.tail.length));
      this.tailStart = entry.end;
    }
    return entry;
  }
}

const OVERSIZED = `the record starting on this line is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MB (often a quote that is never closed); it was skipped to the end of this line`;
const UNCLOSED = 'a quoted field opened on this line is never closed; the line was skipped and the lines after it read on their own';

function describe(error: CsvError | undefined): string {
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
