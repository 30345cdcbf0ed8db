// Bulk API: admins push CSV or TSV files to their custom jobs (POST /v1/bulk/jobs/:jobId/files).
// A file is staged in PostgreSQL when it arrives; runs read the job's pending uploads from there.
import type { Connector, ConnectorSession, ReadPage, ReadRequest, SourceObject } from '../types.js';
import { SOURCE_FIELD } from '../files/records.js';
import { PendingUploads, MAX_PAGE_SIZE } from './pending.js';
import { pageSizeProblems, unknownOptions } from '../job-options.js';

export const BULK_API_ID = 'bulk-api';

export const bulkApi: Connector = {
  id: BULK_API_ID,
  name: 'Bulk API',
  category: 'File-Based Integrations',
  configFields: [],
  allowsCustomJobs: true,
  maxConnections: 1,
  validateConfig: () => [],
  validateJobOptions: (options) => [...unknownOptions('Bulk API', options, ['pageSize']), ...pageSizeProblems(options, MAX_PAGE_SIZE)],
  outOfTheBoxJobs: () => [],
  open: (_settings, context) => new BulkSession(new PendingUploads(context.sql)),
};

class BulkSession implements ConnectorSession {
  constructor(private readonly pending: PendingUploads) {}

  /** Nothing to reach: files come to Syncline. */
  async test(): Promise<void> {}

  /** A job names its source object freely; its fields are the header names of the files it receives. */
  async describeObjects(): Promise<SourceObject[]> {
    return [{ name: 'file', label: 'Uploaded file (any name will do; fields are its header names)', idField: SOURCE_FIELD, fields: [{ name: SOURCE_FIELD, type: 'string', custom: false }] }];
  }

  idField(): string {
    return SOURCE_FIELD;
  }

  readPage(request: ReadRequest): Promise<ReadPage> {
    return this.pending.readPage(request);
  }
}
