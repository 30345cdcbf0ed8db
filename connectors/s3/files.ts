// Which files a run reads: those under the prefix whose name matches the job's pattern and whose
// modification time falls in the window, oldest first; an incremental run skips a file whose
// version (ETag) this job has already ingested, so each new or changed file is read once.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Sql } from '../../db/client.js';
import type { ReadRequest } from '../types.js';
import { globMatcher } from './glob.js';
import { s3Failure, type S3Settings } from './client.js';

export interface S3File {
  key: string;
  etag: string;
  /** ISO timestamp, as S3 reports it. */
  lastModified: string;
}

const TEXT_OID = 25;

export class FileFinder {
  private listed: { key: string; files: S3File[] } | null = null;

  constructor(
    private readonly client: S3Client,
    private readonly settings: S3Settings,
    private readonly sql: Sql,
  ) {}

  /** The first file to read after `previous` (or the first of all), or null when none is left. */
  async next(request: ReadRequest, pattern: string, previous: S3File | null): Promise<S3File | null> {
    const after = (f: S3File) =>
      !previous || f.lastModified > previous.lastModified || (f.lastModified === previous.lastModified && f.key > previous.key);
    return (await this.toRead(request, pattern)).find(after) ?? null;
  }

  /**
   * The files of the window still to read, oldest first. Listed once per session: a file written
   * since has a modification time past the window, and one changed or deleted since is noticed
   * when it is opened.
   */
  private async toRead(request: ReadRequest, pattern: string): Promise<S3File[]> {
    const key = JSON.stringify([request.run.id, pattern, request.window.from, request.window.to]);
    if (this.listed?.key === key) return this.listed.files;
    const from = request.window.from.getTime();
    const to = request.window.to.getTime();
    const candidates = (await this.list(pattern)).filter((f) => {
      const modified = Date.parse(f.lastModified);
      return modified >= from && modified < to;
    });
    candidates.sort((a, b) => (a.lastModified === b.lastModified ? (a.key < b.key ? -1 : 1) : a.lastModified < b.lastModified ? -1 : 1));
    // Import From Date asks for the window again, so it reads files this job has seen before.
    const rereads = request.run.trigger === 'import_from_date';
    const seen = rereads || candidates.length === 0 ? new Map<string, string>() : await this.ingested(request.run.jobId, candidates.map((f) => f.key));
    const files = candidates.filter((f) => seen.get(f.key) !== f.etag);
    this.listed = { key, files };
    return files;
  }

  /** Every object under the prefix whose name below the prefix matches the pattern. */
  async list(pattern: string): Promise<S3File[]> {
    const matches = globMatcher(pattern);
    const prefix = this.settings.prefix;
    const files: S3File[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix || undefined, ContinuationToken: token }));
      } catch (error) {
        throw s3Failure(error, this.settings);
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.ETag || !object.LastModified || object.Key.endsWith('/')) continue;
        if (!matches(object.Key.slice(prefix.length))) continue;
        files.push({ key: object.Key, etag: object.ETag, lastModified: object.LastModified.toISOString() });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  private async ingested(jobId: string, keys: string[]): Promise<Map<string, string>> {
    const rows = await this.sql<{ key: string; etag: string }[]>`select key, etag from s3_ingested where job_id = ${jobId} and key = any(${this.sql.array(keys, TEXT_OID)}::text[])`;
    return new Map(rows.map((r) => [r.key, r.etag]));
  }
}
