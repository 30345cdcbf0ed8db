// One page of one file: the object is streamed from where the last committed page ended (a byte
// range), parsed, and closed once the page is full, so a retry resumes mid-file without reading
// the committed lines again.
import { GetObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { MAX_PAGE_BYTES, readCsv, type CsvEntry, type CsvPosition, type Delimiter } from '../files/csv.js';
import { s3Failure, type S3Settings } from './client.js';
import type { S3File } from './files.js';

export interface FileSlice {
  /** The header, when the slice starts at the top of the file. */
  header: string[] | null;
  entries: CsvEntry[];
  /** True when the file has lines after these. */
  more: boolean;
}

export type SliceOutcome = { ok: true; slice: FileSlice } | { ok: false; reason: string };

export class FileReader {
  constructor(
    private readonly client: S3Client,
    private readonly settings: S3Settings,
  ) {}

  /** Up to `size` records (and about MAX_PAGE_BYTES) from `at`; a file that changed or vanished since the run listed it is an outcome, not an error. */
  async slice(file: S3File, delimiter: Delimiter, at: CsvPosition, size: number): Promise<SliceOutcome> {
    const opened = await this.open(file, at.offset);
    if (!opened.ok) return opened;
    const entries = readCsv(opened.body, delimiter, at);
    try {
      let header: string[] | null = null;
      if (at.offset === 0) {
        const first = await entries.next();
        if (first.done) return { ok: true, slice: { header: null, entries: [], more: false } };
        header = first.value.fields ?? [];
      }
      const read: CsvEntry[] = [];
      for (;;) {
        const next = await entries.next();
        if (next.done) return { ok: true, slice: { header, entries: read, more: false } };
        const full = read.length === size || (read.length > 0 && read.at(-1)!.end - at.offset >= MAX_PAGE_BYTES);
        if (full) return { ok: true, slice: { header, entries: read, more: true } };
        read.push(next.value);
      }
    } catch (error) {
      throw s3Failure(error, this.settings);
    } finally {
      await entries.return(undefined);
      opened.body.destroy();
    }
  }

  private async open(file: S3File, offset: number): Promise<{ ok: true; body: Readable } | { ok: false; reason: string }> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: file.key, IfMatch: file.etag, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) }),
      );
      return { ok: true, body: answer.Body as Readable };
    } catch (error) {
      if (error instanceof S3ServiceException && (error.name === 'PreconditionFailed' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 412)) {
        return { ok: false, reason: `${file.key} changed or was deleted while the run read it; lines read before stay, and its new version is read by the next run` };
      }
      throw s3Failure(error, this.settings);
    }
  }
}
