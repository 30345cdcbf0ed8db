// Bulk API 2.0 query jobs: created from a SOQL query, processed in the background (the job reads the
// org when it is created and completes after `processingMs`), their results read in sets by
// `locator` and `maxRecords`. A locator names a position in the results and stays valid as long as
// the job exists, so a set can be read again.
import { randomBytes } from 'node:crypto';
import type { SfRecord } from './data.js';
import type { Org } from './orgs.js';
import type { SfField, SfObject } from './schema.js';

export type JobState = 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';

export interface QueryJob {
  id: string;
  org: Org;
  operation: 'query' | 'queryAll';
  object: SfObject;
  fields: SfField[];
  soql: string;
  apiVersion: string;
  createdAt: number;
  completesAt: number;
  aborted: boolean;
  results: SfRecord[];
  columnDelimiter: 'COMMA';
  lineEnding: 'LF';
}

export const DEFAULT_RESULTS_PAGE = 50_000;

export class BulkJobs {
  private readonly jobs = new Map<string, QueryJob>();
  processingMs: number;

  constructor(processingMs = 300) {
    this.processingMs = processingMs;
  }

  create(input: Omit<QueryJob, 'id' | 'createdAt' | 'completesAt' | 'aborted' | 'columnDelimiter' | 'lineEnding'>, now = Date.now()): QueryJob {
    const id = `750${input.org.data.pod}${randomBytes(8).toString('hex').slice(0, 10)}AAA`;
    const job: QueryJob = { ...input, id, createdAt: now, completesAt: now + this.processingMs, aborted: false, columnDelimiter: 'COMMA', lineEnding: 'LF' };
    this.jobs.set(id, job);
    return job;
  }

  find(id: string, org: Org): QueryJob | undefined {
    const job = this.jobs.get(id);
    return job && job.org === org ? job : undefined;
  }

  delete(id: string): void {
    this.jobs.delete(id);
  }

  state(job: QueryJob, now = Date.now()): JobState {
    if (job.aborted) return 'Aborted';
    if (now >= job.completesAt) return 'JobComplete';
    return now >= job.createdAt + this.processingMs / 2 ? 'InProgress' : 'UploadComplete';
  }

  info(job: QueryJob, now = Date.now()) {
    const state = this.state(job, now);
    return {
      id: job.id,
      operation: job.operation,
      object: job.object.name,
      createdById: job.org.userId,
      createdDate: salesforceTime(job.createdAt),
      systemModstamp: salesforceTime(Math.min(now, job.completesAt)),
      state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(job.apiVersion),
      jobType: 'V2Query',
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
      numberRecordsProcessed: state === 'JobComplete' ? job.results.length : 0,
      retries: 0,
      totalProcessingTime: state === 'JobComplete' ? job.completesAt - job.createdAt : 0,
    };
  }
}

/** Locators are opaque strings (base64 of the offset, like Salesforce's "MTAwMDA"); "null" ends the results. */
export function encodeLocator(offset: number): string {
  return Buffer.from(String(offset)).toString('base64').replace(/=+$/, '');
}

export function decodeLocator(locator: string): number | undefined {
  const text = Buffer.from(locator, 'base64').toString('utf8');
  return /^\d+$/.test(text) && encodeLocator(Number(text)) === locator ? Number(text) : undefined;
}

function salesforceTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
