import { sql } from 'drizzle-orm';
import {
  customType,
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type {
  DerivedMapping,
  FilterSpec,
  Mapping,
  Notifications,
  Schedule,
  RunWaited,
  RunWaiting,
  StoredError,
} from '../sync/types.js';
import type { RunConfiguration } from '../services/run-configuration.js';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

// ---------------------------------------------------------------- configuration

export const connections = pgTable('connections', {
  id: text('id').primaryKey(),
  connector: text('connector').notNull(),
  name: text('name').notNull(),
  /** Non-secret settings only; secrets live encrypted in `secrets`. */
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  secrets: text('secrets'),
  /** `active`, `error` or `needs_authorization`; changed only through setConnectionStatus. */
  status: text('status').notNull().default('active'),
  /** Why the status is what it is, when it is not `active`. */
  statusMessage: text('status_message'),
  statusChangedAt: timestamp('status_changed_at', { withTimezone: true, mode: 'date' }),
  /** An authorizing connector's grant: tokens, sealed like `secrets`; never shown. */
  credentials: text('credentials'),
  /** What a person may see of the grant: the instance reached, the org, who authorized and when. */
  authorization: jsonb('authorization').$type<Record<string, string | null>>(),
  ...timestamps,
});

/**
 * An authorization in progress: the OAuth `state` (stored hashed) handed to a browser, bound to
 * one connection, used once, short-lived; the PKCE verifier sealed, never sent anywhere but the
 * source's token endpoint.
 */
export const oauthStates = pgTable(
  'oauth_states',
  {
    stateHash: text('state_hash').primaryKey(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    verifier: text('verifier').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    actor: text('actor').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('oauth_states_connection_idx').on(t.connectionId)],
);

/** A connection's source objects as last described, for connectors whose describe calls cost. */
export const sourceObjectCache = pgTable('source_object_cache', {
  connectionId: text('connection_id')
    .primaryKey()
    .references(() => connections.id, { onDelete: 'cascade' }),
  objects: jsonb('objects').$type<unknown[]>().notNull(),
  fetchedAt: timestamp('fetched_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    sourceObject: text('source_object').notNull(),
    targetObject: text('target_object').notNull(),
    modificationType: text('modification_type').$type<'upsert' | 'update'>().notNull(),
    mappings: jsonb('mappings').$type<Mapping[]>().notNull(),
    derivedMappings: jsonb('derived_mappings').$type<DerivedMapping[]>().notNull(),
    filters: jsonb('filters').$type<FilterSpec>().notNull(),
    dependsOn: jsonb('depends_on').$type<string[]>().notNull(),
    /** `webhookUrl` holds the masked URL only; the URL and its signing key live sealed in `webhook`. */
    notifications: jsonb('notifications').$type<Notifications>().notNull(),
    webhook: text('webhook'),
    lookbackSeconds: integer('lookback_seconds').notNull().default(300),
    outageBudgetSeconds: integer('outage_budget_seconds').notNull().default(21600),
    schedule: jsonb('schedule').$type<Schedule | null>(),
    /** Connector-specific job options (e.g. a file name pattern). */
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    outOfTheBox: boolean('out_of_the_box').notNull().default(false),
    ...timestamps,
  },
  (t) => [index('jobs_connection_idx').on(t.connectionId)],
);

/** Jobs made from a connector's templates on demand: one job per template and connection. */
export const templateJobs = pgTable(
  'template_jobs',
  {
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    template: text('template').notNull(),
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.template] })],
);

/** A mirror of each job's durable workflow state, for reporting; the workflow owns the truth. */
export const jobState = pgTable('job_state', {
  jobId: text('job_id')
    .primaryKey()
    .references(() => jobs.id, { onDelete: 'cascade' }),
  watermark: timestamp('watermark', { withTimezone: true, mode: 'date' }),
  nextRunNumber: integer('next_run_number').notNull().default(1),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    jobId: text('job_id').notNull(),
    n: integer('n').notNull(),
    chainRunId: text('chain_run_id'),
    parentRunId: text('parent_run_id'),
    trigger: text('trigger').notNull(),
    status: text('status').notNull(),
    /** Fixed when the run starts; an Import From Date run knows it from the moment it is queued. */
    windowFrom: timestamp('window_from', { withTimezone: true, mode: 'date' }),
    windowTo: timestamp('window_to', { withTimezone: true, mode: 'date' }),
    fetched: integer('fetched').notNull().default(0),
    filtered: integer('filtered').notNull().default(0),
    inserted: integer('inserted').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    pages: integer('pages').notNull().default(0),
    /** The source cursor after the last committed page: where a retried activity resumes. */
    cursor: jsonb('cursor').$type<unknown>(),
    sourceDone: boolean('source_done').notNull().default(false),
    error: jsonb('error').$type<StoredError | null>(),
    /** Who asked for the run: a token's owner, or `schedule`, `dependency`, `chain`. */
    actor: text('actor'),
    /** Set while the run's page work fails and is retried (services/run-waits.ts). */
    waiting: jsonb('waiting').$type<RunWaiting | null>(),
    /** What the run waited on outages that have ended. */
    waited: jsonb('waited').$type<RunWaited | null>(),
    /** The job and connection as they were when the run began (services/run-configuration.ts). */
    configuration: jsonb('configuration').$type<RunConfiguration | null>(),
    /** What the source last reported of its usage limits during the run (Salesforce's daily API requests). */
    sourceUsage: jsonb('source_usage').$type<Record<string, unknown> | null>(),
    workflowId: text('workflow_id').notNull(),
    queuedAt: timestamp('queued_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('runs_job_idx').on(t.jobId, t.n),
    index('runs_chain_idx').on(t.chainRunId),
    // Run lists across jobs (the console, GET /v1/runs) are newest first.
    index('runs_queued_idx').on(t.queuedAt, t.id),
  ],
);

export const runErrors = pgTable(
  'run_errors',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    page: integer('page').notNull(),
    sourceId: text('source_id'),
    keyValues: jsonb('key_values').$type<Record<string, unknown>>().notNull(),
    reason: text('reason').notNull(),
    record: jsonb('record').$type<unknown>(),
    /** The record was larger than a failure keeps (activities/stored-failures.ts): only its beginning is stored. */
    recordTruncated: boolean('record_truncated').notNull().default(false),
    /** The source could not read it as a record (a malformed file line): there is nothing to retry. */
    rejected: boolean('rejected').notNull().default(false),
  },
  (t) => [index('run_errors_run_idx').on(t.runId, t.page)],
);

/**
 * The records failing now, per job: the latest failure of each source id, until a later run (an
 * incremental one, a backfill or a retry) writes that source id. Kept with each page's commit.
 */
export const openFailures = pgTable(
  'open_failures',
  {
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    sourceId: text('source_id').notNull(),
    errorId: bigint('error_id', { mode: 'number' }).notNull(),
    runId: text('run_id').notNull(),
    failedAt: timestamp('failed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.sourceId] }), index('open_failures_error_idx').on(t.jobId, t.errorId)],
);

/** Numbers previews (`job:<id>:preview:<n>`) without writing a row: a preview writes nothing. */
export const previewNumbers = pgSequence('preview_numbers');

/** A job preview's answer, from the workflow that made it to the request that asked; gone once read. */
export const jobPreviews = pgTable('job_previews', {
  id: text('id').primaryKey(),
  jobId: text('job_id').notNull(),
  result: jsonb('result').$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** A run's counts per source file, for file-based connectors; committed with each page. */
export const runFiles = pgTable(
  'run_files',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    file: text('file').notNull(),
    /** The page that first read the file: files are listed in the order the run read them. */
    firstPage: integer('first_page').notNull(),
    fetched: integer('fetched').notNull().default(0),
    filtered: integer('filtered').notNull().default(0),
    inserted: integer('inserted').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    failed: integer('failed').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.runId, t.file] })],
);

export const jobChains = pgTable('job_chains', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  jobIds: jsonb('job_ids').$type<string[]>().notNull(),
  schedule: jsonb('schedule').$type<Schedule | null>(),
  nextRunNumber: integer('next_run_number').notNull().default(1),
  ...timestamps,
});

export const chainRuns = pgTable(
  'chain_runs',
  {
    id: text('id').primaryKey(),
    chainId: text('chain_id').notNull(),
    n: integer('n').notNull(),
    trigger: text('trigger').notNull(),
    status: text('status').notNull(),
    workflowId: text('workflow_id').notNull(),
    error: jsonb('error').$type<StoredError | null>(),
    /** Who asked for the run (a schedule's firing): asked again, as a retried activity does, it gets the same run. */
    requestKey: text('request_key'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('chain_runs_request_key_idx').on(t.requestKey)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    entityName: text('entity_name'),
    connector: text('connector'),
    connectionId: text('connection_id'),
    jobId: text('job_id'),
    attribute: text('attribute').notNull(),
    subAttribute: text('sub_attribute'),
    action: text('action').$type<'Create' | 'Edit' | 'Delete'>().notNull(),
    oldValue: jsonb('old_value').$type<unknown>(),
    newValue: jsonb('new_value').$type<unknown>(),
    additionalInfo: text('additional_info'),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);

export const notificationDeliveries = pgTable('notification_deliveries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  runId: text('run_id').notNull(),
  channel: text('channel').$type<'email' | 'webhook'>().notNull(),
  recipient: text('recipient').notNull(),
  status: text('status').$type<'sent' | 'failed'>().notNull(),
  attempts: integer('attempts').notNull(),
  error: text('error'),
  at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * Answers to requests sent with an `Idempotency-Key` (triggers of runs), kept for a day: the same
 * request sent again, as a client does after a timeout, gets the same answer and no second run.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The token's owner: keys are their own, never shared between clients. */
    actor: text('actor').notNull(),
    key: text('key').notNull(),
    /** A hash of what was asked (route, ids, body), to refuse a key reused for something else. */
    fingerprint: text('fingerprint').notNull(),
    answer: jsonb('answer').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.actor, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

// ---------------------------------------------------------------- connector state

/** Bulk API: a file received for a job. Its rows wait in staged_rows until a run commits them. */
export const uploads = pgTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    /** Arrival order: runs read pending uploads oldest first. */
    seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    delimiter: text('delimiter').notNull(),
    header: jsonb('header').$type<string[]>().notNull(),
    rows: integer('rows').notNull(),
    malformed: integer('malformed').notNull(),
    status: text('status').$type<'pending' | 'consumed'>().notNull().default('pending'),
    /** The run its upload asked for; another run may commit it first when runs coalesce. */
    runId: text('run_id'),
    consumedByRun: text('consumed_by_run'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    consumedAt: timestamp('consumed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('uploads_job_idx').on(t.jobId, t.status, t.seq)],
);

/** Bulk API: the rows of pending uploads, deleted in the transaction of the page that commits them. */
export const stagedRows = pgTable(
  'staged_rows',
  {
    uploadId: text('upload_id')
      .notNull()
      .references(() => uploads.id, { onDelete: 'cascade' }),
    /** The record's position among the file's data rows: the read cursor. */
    n: integer('n').notNull(),
    /** The file line the record starts on, for errors a person can find. */
    line: integer('line').notNull(),
    fields: jsonb('fields').$type<string[] | null>(),
    /** Why the row could not be read (wrong column count, unclosed quote); null for a good row. */
    problem: text('problem'),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.n] })],
);

/** S3: the file versions each job has ingested, so an unchanged file is read once. */
export const s3Ingested = pgTable(
  's3_ingested',
  {
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    etag: text('etag').notNull(),
    lastModified: timestamp('last_modified', { withTimezone: true, mode: 'date' }).notNull(),
    runId: text('run_id').notNull(),
    ingestedAt: timestamp('ingested_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.key] })],
);

// ---------------------------------------------------------------- the data platform

/** Settings of the data platform as a whole (the Person Resolution Key), one row each. */
export const platformSettings = pgTable('platform_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** Custom fields admins add to target objects (standard fields are defined in code). */
export const customFields = pgTable(
  'custom_fields',
  {
    object: text('object').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    label: text('label').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.object, t.name] })],
);

/**
 * Identifiers (GSIDs, the references to them, source ids) compared byte by byte: "C" ordering
 * needs no locale, so every index probe, insert and foreign-key check on them runs memcmp instead
 * of the database's collation. They are opaque, so no reader sorts them by language.
 */
const identifier = customType<{ data: string }>({ dataType: () => 'text collate "C"' });

const recordTimestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  modifiedAt: timestamp('modified_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

export const company = pgTable(
  'company',
  {
    gsid: identifier('gsid').primaryKey(),
    name: text('name'),
    industry: text('industry'),
    employees: integer('employees'),
    arr: numeric('arr', { mode: 'number' }),
    website: text('website'),
    pxAccountId: identifier('px_account_id'),
    numberOfUsers: integer('number_of_users'),
    sfdcAccountId: identifier('sfdc_account_id'),
    ...recordTimestamps,
  },
  (t) => [index('company_px_account_idx').on(t.pxAccountId), index('company_name_idx').on(t.name), index('company_sfdc_account_idx').on(t.sfdcAccountId)],
);

export const person = pgTable(
  'person',
  {
    gsid: identifier('gsid').primaryKey(),
    email: text('email'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    ...recordTimestamps,
  },
  (t) => [uniqueIndex('person_email_ci_idx').on(sql`lower(${t.email})`)],
);

export const companyPerson = pgTable(
  'company_person',
  {
    gsid: identifier('gsid').primaryKey(),
    personId: identifier('person_id')
      .notNull()
      .references(() => person.gsid),
    companyId: identifier('company_id').references(() => company.gsid),
    role: text('role'),
    signUpDate: timestamp('sign_up_date', { withTimezone: true, mode: 'date' }),
    pxUserId: identifier('px_user_id'),
    /** Multi-instance PX: the PX account (instance) this company person came from. */
    instanceId: identifier('instance_id'),
    ...recordTimestamps,
  },
  (t) => [
    index('company_person_person_idx').on(t.personId),
    index('company_person_company_idx').on(t.companyId),
  ],
);

/** Multi-instance PX: each PX account kept apart, linked to the company it belongs to. */
export const companyInstance = pgTable(
  'company_instance',
  {
    gsid: identifier('gsid').primaryKey(),
    companyId: identifier('company_id').references(() => company.gsid),
    name: text('name'),
    pxAccountId: identifier('px_account_id'),
    numberOfUsers: integer('number_of_users'),
    ...recordTimestamps,
  },
  (t) => [index('company_instance_px_idx').on(t.pxAccountId), index('company_instance_company_idx').on(t.companyId)],
);

export type ConnectionRow = typeof connections.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type NewJobRow = typeof jobs.$inferInsert;
export type RunRow = typeof runs.$inferSelect;
export type ChainRow = typeof jobChains.$inferSelect;
export type AuditRow = typeof auditLog.$inferInsert;
export type RunFileRow = typeof runFiles.$inferSelect;
export type RunErrorRow = typeof runErrors.$inferSelect;
export type UploadRow = typeof uploads.$inferSelect;
export type OAuthStateRow = typeof oauthStates.$inferSelect;
