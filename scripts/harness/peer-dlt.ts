// The benchmark's peer: Company Person Sync written as a dlt pipeline (scripts/peers/
// dlt_company_person.py) on dlt's fastest documented path to PostgreSQL, run on the same PX
// simulator data as Syncline into a database of its own, then checked against what Syncline wrote.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { ROOT, spawnProgram } from './children.js';
import { processCpuSeconds, serverCpuSeconds } from './cpu.js';

export const DLT_PYTHON = join(ROOT, '.tools', 'dlt', 'bin', 'python');
export const DLT_PIPELINE = 'scripts/peers/dlt_company_person.py';

/** What the pipeline reports about itself (its last line, `PEER_RESULT <json>`). */
interface PipelineReport {
  /** From reading the companies to the end of the load, in the pipeline's process. */
  ms: number;
  /** CPU of the pipeline's process (and any it waited for) over those `ms`. */
  cpuSeconds: number;
  steps: Record<'companies' | 'extract' | 'normalize' | 'load', { ms: number; cpuSeconds: number }>;
  companies: number;
  fetched: number;
  filtered: number;
  failed: number;
  peakRssMB: number;
  dlt: string;
  pyarrow: string;
  /** dlt's incremental last value: the largest lastModifiedDate read. */
  watermark: number;
}

export interface PeerRun extends PipelineReport {
  /** From spawning the interpreter to its exit: the pipeline's `ms` plus Python's start and imports. */
  processMs: number;
  /** CPU seconds during the pipeline's run: its own process, every PostgreSQL process, the PX simulator. */
  cpu: { dlt: number; postgres: number; simulator: number };
}

/** Installs dlt (with its postgres, parquet and sql-database extras) into .tools/dlt unless it is there. */
export async function installDlt(log: (line: string) => void): Promise<void> {
  if (!existsSync(join(ROOT, '.tools', 'dlt', 'bin', 'dlt'))) log('installing dlt from PyPI into .tools/dlt (about a minute)');
  const { stdout } = await promisify(execFile)('bash', [join(ROOT, 'scripts', 'setup.sh'), '--peer', 'dlt'], { cwd: ROOT });
  const version = /^dlt: (.*)$/m.exec(stdout)?.[1];
  if (!version) throw new Error(`scripts/setup.sh --peer dlt did not report dlt's version:\n${stdout}`);
  log(`peer: ${version}`);
}

/**
 * Runs the pipeline once: it reads every user of `pxUrl` (from dlt's watermark, 0 in a new
 * `pipelinesDir`), the companies of `companiesUrl`, and merges into `databaseUrl`.
 */
export async function runDltPeer(options: {
  pxUrl: string;
  pxKey: string;
  companiesUrl: string;
  databaseUrl: string;
  simulatorPid: number;
  timeoutMs: number;
}): Promise<PeerRun> {
  if (!existsSync(DLT_PYTHON)) throw new Error(`dlt is not installed at ${DLT_PYTHON}: run \`bash scripts/setup.sh --peer dlt\``);
  const pipelinesDir = await mkdtemp(join(tmpdir(), 'syncline-peer-dlt-'));
  try {
    const postgresBefore = serverCpuSeconds().postgres;
    const simulatorBefore = processCpuSeconds(options.simulatorPid);
    const started = performance.now();
    const child = spawnProgram(
      DLT_PYTHON,
      [join(ROOT, DLT_PIPELINE)],
      {
        PEER_PX_URL: options.pxUrl,
        PEER_PX_KEY: options.pxKey,
        PEER_COMPANIES_URL: options.companiesUrl,
        PEER_DATABASE_URL: options.databaseUrl,
        PEER_PIPELINES_DIR: pipelinesDir,
      },
      DLT_PIPELINE,
    );
    try {
      const line = await child.waitFor(/^PEER_RESULT /, options.timeoutMs);
      const code = await child.ended(60_000);
      if (code !== 0) throw new Error(`${DLT_PIPELINE} exited ${code} after its result:\n${child.output()}`);
      const processMs = performance.now() - started;
      const report = JSON.parse(line.slice('PEER_RESULT '.length)) as PipelineReport;
      const round = (value: number) => Math.round(value * 100) / 100;
      return {
        ...report,
        processMs,
        cpu: {
          dlt: round(report.cpuSeconds),
          postgres: round(serverCpuSeconds().postgres - postgresBefore),
          simulator: round(processCpuSeconds(options.simulatorPid) - simulatorBefore),
        },
      };
    } finally {
      await child.stop();
    }
  } finally {
    await rm(pipelinesDir, { recursive: true, force: true });
  }
}

/** Rows and an order-free fingerprint of their content (a sum of PostgreSQL's 64-bit text hash). */
interface TableFacts {
  rows: number;
  fingerprint: string;
}

export interface Written {
  person: TableFacts;
  companyPerson: TableFacts;
  failed: number;
}

// The same canonical text of a row on both sides, so that equal content hashes equally: a person
// by its email (and the case it was last sent in) and names, a company person by its person's
// email, its company's PX account, the user it came from and the sign-up time in epoch ms.
const PERSON_ROW = `lower(email) || '|' || coalesce(email, '') || '|' || coalesce(first_name, '') || '|' || coalesce(last_name, '')`;
const COMPANY_PERSON_ROW = (email: string, account: string) =>
  `lower(${email}) || '|' || coalesce(${account}, '') || '|' || coalesce(px_user_id, '') || '|' || coalesce((extract(epoch from sign_up_date) * 1000)::bigint::text, '')`;
const facts = (rowText: string, from: string) =>
  `select count(*)::int as rows, coalesce(sum(hashtextextended(${rowText}, 0)::numeric), 0)::text as fingerprint from ${from}`;

/** What Syncline's Company Person Sync left in its database; `failed` is the run's count. */
export async function synclineWritten(databaseUrl: string, failed: number): Promise<Written> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    const [person] = await sql.unsafe<TableFacts[]>(facts(PERSON_ROW, 'person'));
    const [companyPerson] = await sql.unsafe<TableFacts[]>(
      facts(COMPANY_PERSON_ROW('p.email', 'c.px_account_id'), 'company_person cp join person p on p.gsid = cp.person_id left join company c on c.gsid = cp.company_id'),
    );
    return { person: person!, companyPerson: companyPerson!, failed };
  } finally {
    await sql.end();
  }
}

/** What the peer left in its database. */
export async function peerWritten(databaseUrl: string): Promise<Written> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    const [person] = await sql.unsafe<TableFacts[]>(facts(PERSON_ROW, 'px.person'));
    const [companyPerson] = await sql.unsafe<TableFacts[]>(facts(COMPANY_PERSON_ROW('email_key', 'px_account_id'), 'px.company_person'));
    const [failed] = await sql.unsafe<{ rows: number }[]>('select count(*)::int as rows from px.failed_users');
    return { person: person!, companyPerson: companyPerson!, failed: failed!.rows };
  } finally {
    await sql.end();
  }
}

/**
 * The peer must have done the same job: as many persons and company persons as Syncline, with the
 * same content, and as many failures. A peer that wrote less would look faster for it.
 */
export function checkSameWork(syncline: Written, peer: Written): void {
  const problems: string[] = [];
  for (const [name, table] of [['person', 'person'], ['company_person', 'companyPerson']] as const) {
    if (peer[table].rows !== syncline[table].rows) problems.push(`${name}: the peer wrote ${peer[table].rows} rows, Syncline ${syncline[table].rows}`);
    else if (peer[table].fingerprint !== syncline[table].fingerprint) problems.push(`${name}: the same ${peer[table].rows} rows, but their content differs from Syncline's`);
  }
  if (peer.failed !== syncline.failed) problems.push(`failures: the peer stored ${peer.failed}, Syncline ${syncline.failed}`);
  if (problems.length > 0) throw new Error(`the dlt peer did not do the same work as Syncline, so its figure means nothing: ${problems.join('; ')}`);
}

/**
 * What one side does that the other does not, for the bench's output: the figures compare the
 * same rows written, not the same guarantees.
 */
export const WORK_DIFFERENCES: [work: string, syncline: string, dlt: string][] = [
  ['counts per run', 'exact inserted / updated / unchanged / filtered / failed', 'rows loaded per table; no insert/update split'],
  ['unchanged records', 'compared field by field; not written, modified_at kept', 'deleted and inserted again (delete-insert merge)'],
  ['target tables', 'foreign keys company_person → person, company; unique index on lower(email); GSID primary keys', 'no constraints or indexes; merge keys only declared (NOT NULL)'],
  ['row identity and times', 'a GSID (UUIDv7) per row, created_at and modified_at', 'natural keys and the read position only'],
  ['transactions', 'one per page, with its counts and the next page\'s cursor', 'pages staged in local files; one merge transaction per table at the end'],
  ['a crash mid-run', 'resumes at the last committed page (another worker takes over)', 'extract starts over; a package already normalized on local disk loads on the next run'],
  ['watermark', 'the window\'s end (now at start), in durable workflow state, mirrored to PostgreSQL; moves only on success', 'the largest lastModifiedDate read, in dlt\'s state (local and in the destination), saved with the load'],
  ['company lookup', 'per page, by index, against the companies as they are then', 'all companies read once at the start, joined in memory'],
  ['values', 'each converted and checked before SQL (email form, integer range, dates, lengths, NUL); a bad record fails alone', 'pyarrow types; a value they cannot hold fails the run, one PostgreSQL refuses fails its file'],
  ['bounds on the source', 'an answer read up to 16 MB; only the hosts the outbound policy allows', 'whatever the answer holds, from any address'],
  ['failed records', 'kept with source record, key values and reason; CSV download; retry after a fix', 'a table the pipeline writes (id, email, account, reason)'],
  ['around the run', 'queue of runs per job, dependency (Company Sync) run first and timed, execution log, notifications', 'a process run by hand or by a scheduler; schema inference and versions'],
  ['intermediate data', 'none: a page goes from the source to PostgreSQL in memory', 'every page written to local disk twice (extract: parquet, normalize: CSV)'],
];

/** Where the comparison is not even, printed with it. */
export const FAIRNESS_NOTES = [
  'Both sides read the same simulator data with the same requests (scroll paging, 1,000 a page, the lastModifiedDate window) and write from empty targets on the same PostgreSQL server, one after the other, each after a CHECKPOINT.',
  "Syncline's time runs from the Import Now request to the run's end as the API reports it, and includes Temporal and the Company Sync run it depends on; the peer's runs from reading the companies to the end of its load, without Python's start and dlt's import (processMs has them).",
  "The peer writes tables without foreign keys or indexes, which makes its writes cheaper (the README's ceiling at 1,000,000 users: 34,843 records/s without company_person's foreign keys, 22,542 with them).",
  "The peer runs in one Python process (dlt's defaults: normalize in process, 20 load threads); Syncline in its worker, beside Temporal, the API and the simulator.",
];
