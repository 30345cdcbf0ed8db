// Amazon S3 (and S3-compatible stores): CSV or TSV files under a prefix, picked by a name pattern
// and read by modification time. Each new or changed file is ingested once, page by page.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Connector, ConnectorContext, ConnectorSession, ReadPage, ReadRequest, RejectedRecord, SourceObject } from '../types.js';
import type { Tx } from '../../db/client.js';
import { DELIMITERS, type Delimiter } from '../files/csv.js';
import { forbiddenColumns, forbiddenColumnsReason, headerOf, missingColumns, recordOf, SOURCE_FIELD } from '../files/records.js';
import { invalidConfiguration } from '../../sync/errors.js';
import { S3_ENDPOINT_DESTINATION, s3Client, s3Failure, type S3Settings } from './client.js';
import { unknownOptions } from '../job-options.js';
import { FileFinder, type S3File } from './files.js';
import { patternProblem } from './glob.js';
import { FileReader } from './reader.js';

const DEFAULT_PAGE_SIZE = 5000;
const DEFAULT_PATTERN = '*';

interface S3Cursor {
  file: S3File;
  /** Where the next page starts: bytes into the file, and the line before it. */
  offset: number;
  line: number;
}

export const amazonS3: Connector = {
  id: 's3',
  name: 'Amazon S3',
  category: 'File-Based Integrations',
  configFields: [
    { name: 'bucket', type: 'string', required: true, secret: false, description: 'The bucket holding the files.' },
    { name: 'prefix', type: 'string', required: false, secret: false, description: 'The folder the files are under, e.g. "exports/accounts/".', default: '' },
    { name: 'region', type: 'string', required: false, secret: false, description: "The bucket's AWS region.", default: 'us-east-1' },
    { name: 'endpoint', type: 'string', required: false, secret: false, description: 'The URL of an S3-compatible store (MinIO, Ceph, …); leave out for Amazon S3. Not a private address unless the operator allows its network (OUTBOUND_ALLOWED_NETWORKS). Changing it requires secretAccessKey again.' },
    { name: 'accessKeyId', type: 'string', required: true, secret: false, description: 'The access key id of an IAM user that may list and read the prefix.' },
    { name: 'secretAccessKey', type: 'string', required: true, secret: true, description: "That access key's secret." },
  ],
  allowsCustomJobs: true,
  maxConnections: null,
  urlSettings: [{ field: 'endpoint', destination: S3_ENDPOINT_DESTINATION, secret: 'secretAccessKey' }],

  validateConfig(config) {
    const problems: { path: string; message: string }[] = [];
    if (config.bucket !== undefined && !(typeof config.bucket === 'string' && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(config.bucket))) {
      problems.push({ path: '/config/bucket', message: 'bucket must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens' });
    }
    if (config.prefix !== undefined && (typeof config.prefix !== 'string' || config.prefix.length > 1024)) problems.push({ path: '/config/prefix', message: 'prefix must be text' });
    if (config.region !== undefined && !(typeof config.region === 'string' && /^[a-z0-9-]{1,40}$/.test(config.region))) {
      problems.push({ path: '/config/region', message: 'region must be an AWS region such as us-east-1' });
    }
    if (config.endpoint !== undefined && config.endpoint !== null && !(typeof config.endpoint === 'string' && /^https?:\/\/[^\s]+$/.test(config.endpoint))) {
      problems.push({ path: '/config/endpoint', message: 'endpoint must be an http(s) URL such as https://minio.example.com:9000' });
    }
    if (config.accessKeyId !== undefined && !(typeof config.accessKeyId === 'string' && config.accessKeyId.length > 0 && config.accessKeyId.length <= 128)) {
      problems.push({ path: '/config/accessKeyId', message: 'accessKeyId must be an access key id' });
    }
    return problems;
  },

  validateJobOptions(options) {
    const problems: { path: string; message: string }[] = [];
    problems.push(...unknownOptions('Amazon S3', options, ['pattern', 'delimiter']));
    if (options.pattern !== undefined && !(typeof options.pattern === 'string' && options.pattern.length > 0 && options.pattern.length <= 300)) {
      problems.push({ path: '/options/pattern', message: 'pattern must be a file name pattern such as *.csv (** crosses folders)' });
    } else if (typeof options.pattern === 'string') {
      const problem = patternProblem(options.pattern);
      if (problem) problems.push({ path: '/options/pattern', message: problem });
    }
    if (options.delimiter !== undefined && !DELIMITERS.includes(options.delimiter as Delimiter)) {
      problems.push({ path: '/options/delimiter', message: `delimiter must be one of ${DELIMITERS.join(', ')}` });
    }
    return problems;
  },

  outOfTheBoxJobs: () => [],

  open({ config, secrets }, context) {
    const secretAccessKey = secrets.secretAccessKey;
    if (!secretAccessKey) throw invalidConfiguration('The Amazon S3 connection has no secret access key: set config.secretAccessKey on the connection.');
    const settings: S3Settings = {
      bucket: String(config.bucket),
      prefix: typeof config.prefix === 'string' ? config.prefix : '',
      region: typeof config.region === 'string' ? config.region : 'us-east-1',
      endpoint: typeof config.endpoint === 'string' && config.endpoint ? config.endpoint : null,
      accessKeyId: String(config.accessKeyId),
      secretAccessKey,
    };
    return new S3Session(settings, context);
  },
};

class S3Session implements ConnectorSession {
  private readonly client;
  private readonly finder: FileFinder;
  private readonly reader: FileReader;
  /** Headers of files read mid-way, by key and version. */
  private readonly headers = new Map<string, string[]>();

  constructor(
    private readonly settings: S3Settings,
    context: ConnectorContext,
  ) {
    this.client = s3Client(settings, context.outbound);
    this.finder = new FileFinder(this.client, settings, context.sql);
    this.reader = new FileReader(this.client, settings);
  }

  async test(): Promise<void> {
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix || undefined, MaxKeys: 1 }));
    } catch (error) {
      throw s3Failure(error, this.settings);
    }
  }

  idField(): string {
    return SOURCE_FIELD;
  }

  /** One object whose fields are the header of the newest file under the prefix. */
  async describeObjects(): Promise<SourceObject[]> {
    const files = await this.finder.list('**');
    const newest = files.sort((a, b) => (a.lastModified < b.lastModified ? 1 : -1))[0];
    const delimiter: Delimiter = newest?.key.toLowerCase().endsWith('.tsv') ? 'tab' : 'comma';
    const outcome = newest ? await this.reader.slice(newest, delimiter, { offset: 0, line: 0 }, 0) : null;
    const header = outcome?.ok ? headerOf(outcome.slice.header ?? []) : [];
    return [
      {
        name: 'file',
        label: newest ? `Files (fields from ${newest.key})` : 'Files',
        idField: SOURCE_FIELD,
        fields: [{ name: SOURCE_FIELD, type: 'string', custom: false }, ...header.map((name) => ({ name, type: 'string' as const, custom: false }))],
      },
    ];
  }

  async readPage(request: ReadRequest): Promise<ReadPage> {
    const pattern = typeof request.options.pattern === 'string' ? request.options.pattern : DEFAULT_PATTERN;
    const delimiter: Delimiter = request.options.delimiter === 'tab' ? 'tab' : 'comma';
    const size = Number(request.options.pageSize ?? DEFAULT_PAGE_SIZE);
    const cursor = (request.cursor as S3Cursor | null) ?? (await this.first(request, pattern));
    if (!cursor) return { records: [], nextCursor: null };
    const { file } = cursor;
    const done = async (): Promise<S3Cursor | null> => {
      const next = await this.finder.next(request, pattern, file);
      return next ? { file: next, offset: 0, line: 0 } : null;
    };

    const changed = (reason: string): ReadPage => ({ records: [], rejected: [{ sourceId: file.key, reason, record: {} }], file: file.key, nextCursor: null });
    const outcome = await this.reader.slice(file, delimiter, { offset: cursor.offset, line: cursor.line }, size);
    if (!outcome.ok) return { ...changed(outcome.reason), nextCursor: await done() };
    const { slice } = outcome;
    const remember = this.remember(request, file);
    let header: string[];
    if (cursor.offset === 0) {
      if (!slice.header) return { records: [], file: file.key, nextCursor: await done(), commit: remember };
      header = headerOf(slice.header);
      this.headers.set(`${file.key}@${file.etag}`, header);
      const forbidden = forbiddenColumns(header);
      if (forbidden.length > 0) {
        const reason = `${file.key}: ${forbiddenColumnsReason(forbidden)} and upload it again; the file was skipped.`;
        return { records: [], rejected: [{ sourceId: file.key, reason, record: { header } }], file: file.key, nextCursor: await done(), commit: remember };
      }
      const missing = missingColumns(header, request.fields);
      if (missing.length > 0) {
        const reason = `${file.key} lacks column${missing.length === 1 ? '' : 's'} the job reads: ${missing.join(', ')}; the file was skipped. Fix its header and upload it again.`;
        return { records: [], rejected: [{ sourceId: file.key, reason, record: { header } }], file: file.key, nextCursor: await done(), commit: remember };
      }
    } else {
      const known = await this.headerOf(file, delimiter);
      if (!known) return { ...changed(`${file.key} changed or was deleted while the run read it; lines read before stay, and its new version is read by the next run`), nextCursor: await done() };
      header = known;
    }

    const records: Record<string, unknown>[] = [];
    const rejected: RejectedRecord[] = [];
    for (const entry of slice.entries) {
      const read = recordOf(header, entry, file.key);
      if (read.ok) records.push(read.record);
      else rejected.push(read.rejected);
    }
    const last = slice.entries.at(-1);
    if (slice.more && last) return { records, rejected, file: file.key, nextCursor: { file, offset: last.end, line: last.endLine } satisfies S3Cursor };
    return { records, rejected, file: file.key, nextCursor: await done(), commit: remember };
  }

  private async first(request: ReadRequest, pattern: string): Promise<S3Cursor | null> {
    const file = await this.finder.next(request, pattern, null);
    return file ? { file, offset: 0, line: 0 } : null;
  }

  private async headerOf(file: S3File, delimiter: Delimiter): Promise<string[] | null> {
    const known = this.headers.get(`${file.key}@${file.etag}`);
    if (known) return known;
    const outcome = await this.reader.slice(file, delimiter, { offset: 0, line: 0 }, 0);
    return outcome.ok && outcome.slice.header ? headerOf(outcome.slice.header) : null;
  }

  /** The file version is ingested exactly when its last page is committed. */
  private remember(request: ReadRequest, file: S3File) {
    return async (tx: Tx) => {
      await tx`
        insert into s3_ingested (job_id, key, etag, last_modified, run_id)
        values (${request.run.jobId}, ${file.key}, ${file.etag}, ${file.lastModified}, ${request.run.id})
        on conflict (job_id, key) do update set etag = excluded.etag, last_modified = excluded.last_modified, run_id = excluded.run_id, ingested_at = now()`;
    };
  }
}
