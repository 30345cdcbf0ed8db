// `syncline`: trigger and follow runs and inspect jobs from a terminal or a script, over the REST API.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { CliError, createClient, type Client } from './client.js';
import { followRun, type Output } from './follow.js';
import { clock, countsLine, describeRun, SUCCEEDED, type RunView } from './progress.js';

export const USAGE = `Usage: syncline <command> [options]

Commands:
  import-now <jobId> [--follow]                              run a job from its watermark
  import-from-date <jobId> --from <iso> [--to <iso>] [--follow]
                                                             run a job over [from, to); the watermark stays
  run <runId> [--follow]                                     show a run (and follow it to its end)
  runs <jobId> [--status <s>] [--trigger <t>] [--from <iso>] [--to <iso>] [--limit <n>]
                                                             a job's runs, newest first (from/to: when queued)
  errors <runId> [--out <file.csv>]                          a run's failed records as CSV (to stdout without --out)
  retry-failed <runId> [--follow]                            run the job again over that run's failed records only
  failures <jobId> [--retry] [--follow]                      what fails now, by reason; --retry runs them all again
  preview <jobId> [--draft <file.json>] [--limit <n>] [--from <iso>] [--to <iso>]
                                                             what a run would do with the next records, writing nothing
  jobs [--connection <id>]                                   list jobs
  state <jobId>                                              a job's watermark, running and queued runs

Options:
  --follow     poll the run until it ends; exit 0 for success or partial_success, 1 otherwise
  --draft      preview: a JSON file with the fields of a job to try (mappings, derivedMappings,
               filters, modificationType), as PATCH /v1/jobs/:id takes them
  --json       print the API's JSON instead of text
  -h, --help   show this help

Statuses: queued, running, retrying (running, waiting on an outage), success, partial_success,
failure, cancelled. Triggers: import_now, import_from_date, schedule, chain, dependency, upload,
retry_failed.

Environment:
  SYNCLINE_URL     the API (default http://localhost:3000)
  SYNCLINE_TOKEN   an API token (viewer tokens can run "run", "runs", "errors", "failures", "jobs",
                   "state" and "preview" without --draft)`;

export interface Io {
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
}

interface Trigger {
  runId: string;
  status: string;
  workflowId: string;
}

interface JobView {
  id: string;
  name: string;
  connectionId: string;
  source: { object: string };
  target: { object: string };
  mappings: { target: string; upsertKey: boolean }[];
  schedule: { enabled: boolean; frequency: string } | null;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

type Flags = {
  follow: boolean;
  json: boolean;
  from: string | undefined;
  to: string | undefined;
  connection: string | undefined;
  status: string | undefined;
  trigger: string | undefined;
  limit: string | undefined;
  out: string | undefined;
  draft: string | undefined;
  retry: boolean;
};

/** Runs one command; resolves to the process exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr.write(`syncline: ${error.message}\n`);
    if (error.exitCode === 2) io.stderr.write(`\n${USAGE}\n`);
    return error.exitCode;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  const [command, ...args] = positionals;
  if (values.help || command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!command) throw new CliError('no command given', 2);
  const flags: Flags = {
    follow: values.follow ?? false,
    json: values.json ?? false,
    from: values.from,
    to: values.to,
    connection: values.connection,
    status: values.status,
    trigger: values.trigger,
    limit: values.limit,
    out: values.out,
    draft: values.draft,
    retry: values.retry ?? false,
  };
  const client = clientFrom(io.env);
  const print = (lines: string[] | string) => io.stdout.write(`${Array.isArray(lines) ? lines.join('\n') : lines}\n`);
  switch (command) {
    case 'import-now': {
      const jobId = one(args, 'a job id', 'import-now <jobId>');
      return triggered(client, await client.post<Trigger>(`/v1/jobs/${encodeURIComponent(jobId)}/import-now`), flags, io);
    }
    case 'import-from-date': {
      const jobId = one(args, 'a job id', 'import-from-date <jobId> --from <iso>');
      if (!flags.from) throw new CliError('import-from-date needs --from <iso date-time>, e.g. --from 2024-05-01T00:00:00Z', 2);
      const body = { from: isoOrFail('--from', flags.from), ...(flags.to ? { to: isoOrFail('--to', flags.to) } : {}) };
      return triggered(client, await client.post<Trigger>(`/v1/jobs/${encodeURIComponent(jobId)}/import-from-date`, body), flags, io);
    }
    case 'run': {
      const runId = one(args, 'a run id', 'run <runId>');
      if (flags.follow) return finished(client, await followRun(client, runId, io.stdout, pollInterval(io.env)), flags, io);
      const run = await client.get<RunView>(`/v1/runs/${encodeURIComponent(runId)}`);
      print(flags.json ? JSON.stringify(run, null, 2) : describeRun(run, client.baseUrl));
      return 0;
    }
    case 'runs': {
      const jobId = one(args, 'a job id', 'runs <jobId>');
      const query = new URLSearchParams({ limit: String(limitOf(flags, 20)) });
      if (flags.status) query.set('status', flags.status);
      if (flags.trigger) query.set('trigger', flags.trigger);
      if (flags.from) query.set('from', isoOrFail('--from', flags.from));
      if (flags.to) query.set('to', isoOrFail('--to', flags.to));
      const page = await client.get<Page<RunView & { queuedAt: string }>>(`/v1/jobs/${encodeURIComponent(jobId)}/runs?${query.toString()}`);
      if (flags.json) print(JSON.stringify(page.items, null, 2));
      else print(page.items.length === 0 ? 'No runs.' : runTable(page.items, Date.now()));
      return 0;
    }
    case 'errors': {
      const runId = one(args, 'a run id', 'errors <runId> [--out file.csv]');
      const body = await client.stream(`/v1/runs/${encodeURIComponent(runId)}/errors`);
      if (!flags.out) {
        for await (const chunk of body) io.stdout.write(chunk);
        return 0;
      }
      let bytes = 0;
      const counted = (async function* () {
        for await (const chunk of body) {
          bytes += Buffer.byteLength(chunk);
          yield chunk;
        }
      })();
      try {
        await pipeline(Readable.from(counted), createWriteStream(flags.out));
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(`could not write ${flags.out}: ${error instanceof Error ? error.message : String(error)}`);
      }
      io.stderr.write(`wrote the failed records of ${runId} to ${flags.out} (${bytes.toLocaleString('en-US')} bytes)\n`);
      return 0;
    }
    case 'retry-failed': {
      const runId = one(args, 'a run id', 'retry-failed <runId>');
      return triggered(client, await client.post<Trigger>(`/v1/runs/${encodeURIComponent(runId)}/retry-failed`), flags, io);
    }
    case 'failures': {
      const jobId = one(args, 'a job id', 'failures <jobId> [--retry]');
      if (flags.retry) return triggered(client, await client.post<Trigger>(`/v1/jobs/${encodeURIComponent(jobId)}/retry-failed`), flags, io);
      const open = await client.get<OpenFailures>(`/v1/jobs/${encodeURIComponent(jobId)}/failures?limit=${limitOf(flags, 20)}`);
      print(flags.json ? JSON.stringify(open, null, 2) : describeFailures(open));
      return 0;
    }
    case 'preview': {
      const jobId = one(args, 'a job id', 'preview <jobId> [--draft file.json] [--limit N]');
      const draft = flags.draft ? await readDraft(flags.draft) : undefined;
      if (flags.to && !flags.from) throw new CliError('preview: --to needs --from (the window starts there); without either the preview reads from the watermark, as Import Now would', 2);
      const window = flags.from ? { from: isoOrFail('--from', flags.from), ...(flags.to ? { to: isoOrFail('--to', flags.to) } : {}) } : undefined;
      const body = { limit: limitOf(flags, 50, 1000), ...(draft ? { draft } : {}), ...(window ? { window } : {}) };
      const preview = await client.post<Preview>(`/v1/jobs/${encodeURIComponent(jobId)}/preview`, body);
      print(flags.json ? JSON.stringify(preview, null, 2) : describePreview(preview));
      return 0;
    }
    case 'jobs': {
      none(args, 'jobs');
      const jobs = await allPages<JobView>(client, `/v1/jobs?limit=500${flags.connection ? `&connectionId=${encodeURIComponent(flags.connection)}` : ''}`);
      if (flags.json) print(JSON.stringify(jobs, null, 2));
      else print(jobs.length === 0 ? 'No jobs.' : jobTable(jobs));
      return 0;
    }
    case 'state': {
      const jobId = one(args, 'a job id', 'state <jobId>');
      const state = await client.get<{ watermark: string | null; running: string | null; queued: string[] }>(`/v1/jobs/${encodeURIComponent(jobId)}/state`);
      if (flags.json) print(JSON.stringify(state, null, 2));
      else print([`watermark: ${state.watermark ?? 'none (the next Import Now reads from 1970)'}`, `running:   ${state.running ?? '-'}`, `queued:    ${state.queued.length ? state.queued.join(', ') : '-'}`]);
      return 0;
    }
    default:
      throw new CliError(`unknown command "${command}"`, 2);
  }
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        follow: { type: 'boolean', short: 'f' },
        json: { type: 'boolean' },
        from: { type: 'string' },
        to: { type: 'string' },
        connection: { type: 'string' },
        status: { type: 'string' },
        trigger: { type: 'string' },
        limit: { type: 'string' },
        out: { type: 'string', short: 'o' },
        draft: { type: 'string' },
        retry: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    if (error instanceof TypeError) throw new CliError(error.message, 2);
    throw error;
  }
}

function limitOf(flags: Flags, fallback: number, max = 500): number {
  const limit = flags.limit === undefined ? fallback : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new CliError(`--limit must be a whole number from 1 to ${max}, got "${flags.limit}"`, 2);
  return limit;
}

async function readDraft(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`could not read ${file}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
  let draft: unknown;
  try {
    draft = JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${file} is not JSON: write the job's fields to try, e.g. {"mappings": [...]}`, 2);
  }
  // Anything but an object would quietly preview the saved job instead of the draft meant.
  if (draft === null || typeof draft !== 'object' || Array.isArray(draft)) throw new CliError(`${file} holds no job fields: write an object of the fields to try, e.g. {"mappings": [...]}`, 2);
  return draft;
}

interface OpenFailures {
  items: { sourceId: string; reason: string; runId: string; failedAt: string; retryable: boolean }[];
  total: number;
  byReason: { reason: string; count: number }[];
}

function describeFailures(open: OpenFailures): string {
  if (open.total === 0) return 'Nothing fails now.';
  const lines = [`${open.total} record${open.total === 1 ? '' : 's'} fail now:`, ...open.byReason.map((r) => `  ${String(r.count).padStart(6)}  ${r.reason}`), '', 'Latest:'];
  for (const f of open.items) lines.push(`  ${f.sourceId}  (${f.runId}${f.retryable ? '' : ', not retryable'})  ${f.reason}`);
  lines.push('', 'syncline failures <jobId> --retry runs them all again, under the job as it is now.');
  return lines.join('\n');
}

interface Preview {
  workflowId: string;
  draft: boolean;
  window: { from: string; to: string };
  summary: Record<'fetched' | 'insert' | 'update' | 'unchanged' | 'filtered' | 'fail', number>;
  records: { sourceId: string | null; outcome: string; changes?: { field: string; from: unknown; to: unknown }[]; filter?: { id: string; field: string; op: string }[]; reason?: string }[];
}

function describePreview(preview: Preview): string {
  const s = preview.summary;
  const lines = [
    `Preview of ${preview.draft ? 'the draft' : 'the saved job'} over ${preview.window.from} to ${preview.window.to} (${preview.workflowId}); nothing was written.`,
    `${s.fetched} read: ${s.insert} insert, ${s.update} update, ${s.unchanged} unchanged, ${s.filtered} filtered, ${s.fail} fail`,
    '',
  ];
  for (const r of preview.records) {
    const what =
      r.outcome === 'update'
        ? (r.changes ?? []).map((c) => `${c.field}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`).join('; ')
        : r.outcome === 'filtered'
          ? `dropped by ${(r.filter ?? []).map((f) => `${f.id} (${f.field} ${f.op})`).join(', ')}`
          : r.outcome === 'fail'
            ? (r.reason ?? '')
            : '';
    lines.push(`  ${r.outcome.padEnd(9)} ${r.sourceId ?? '(no id)'}${what ? `  ${what}` : ''}`);
  }
  return lines.join('\n');
}

function clientFrom(env: Record<string, string | undefined>): Client {
  const token = env.SYNCLINE_TOKEN;
  if (!token) throw new CliError('SYNCLINE_TOKEN is not set: export SYNCLINE_TOKEN=<an API token> (see API_TOKENS on the server)');
  return createClient(env.SYNCLINE_URL || 'http://localhost:3000', token);
}

function pollInterval(env: Record<string, string | undefined>): number {
  const ms = Number(env.SYNCLINE_POLL_MS ?? 1000);
  return Number.isFinite(ms) && ms >= 50 ? ms : 1000;
}

async function triggered(client: Client, trigger: Trigger, flags: Flags, io: Io): Promise<number> {
  if (flags.json && !flags.follow) {
    io.stdout.write(`${JSON.stringify(trigger, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(`Run ${trigger.runId} ${trigger.status} (workflow ${trigger.workflowId})\n`);
  if (!flags.follow) return 0;
  return finished(client, await followRun(client, trigger.runId, io.stdout, pollInterval(io.env)), flags, io);
}

function finished(client: Client, run: RunView, flags: Flags, io: Io): number {
  if (flags.json) io.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  // The counts, then when it ran, its error and failed records (what describeRun says after its header).
  else io.stdout.write(`${[countsLine(run), ...describeRun(run, client.baseUrl).slice(4), `Run ${run.id} ended: ${run.status}`].join('\n')}\n`);
  return SUCCEEDED.includes(run.status) ? 0 : 1;
}

async function allPages<T>(client: Client, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await client.get<Page<T>>(`${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

function jobTable(jobs: JobView[]): string {
  const rows = jobs.map((j) => [
    j.id,
    j.name,
    j.connectionId,
    `${j.source.object} -> ${j.target.object}`,
    j.mappings.filter((m) => m.upsertKey).map((m) => m.target).join('+') || '(no upsert key)',
    j.schedule ? `${j.schedule.frequency}${j.schedule.enabled ? '' : ' (paused)'}` : '-',
  ]);
  const header = ['ID', 'NAME', 'CONNECTION', 'OBJECTS', 'UPSERT KEY', 'SCHEDULE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function runTable(runs: (RunView & { queuedAt: string })[], now: number): string {
  const rows = runs.map((r) => [
    r.id,
    r.status,
    r.trigger,
    r.actor ?? '-',
    r.queuedAt.replace('T', ' ').slice(0, 19),
    r.startedAt ? clock(((r.finishedAt ? Date.parse(r.finishedAt) : now) - Date.parse(r.startedAt)) / 1000) : '-',
    r.counts.fetched.toLocaleString('en-US'),
    r.counts.failed.toLocaleString('en-US'),
    r.waiting ? `retrying: ${r.waiting.lastError.message}` : (r.error?.message ?? (r.waited ? `waited ${clock(r.waited.seconds)} on an outage` : '')),
  ]);
  const header = ['RUN', 'STATUS', 'TRIGGER', 'ACTOR', 'QUEUED (UTC)', 'TOOK', 'FETCHED', 'FAILED', 'WHY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function one(args: string[], what: string, usage: string): string {
  if (args.length !== 1) throw new CliError(`expected ${what}: syncline ${usage}`, 2);
  return args[0]!;
}

function none(args: string[], command: string): void {
  if (args.length > 0) throw new CliError(`${command} takes no arguments, got "${args.join(' ')}"`, 2);
}

function isoOrFail(flag: string, value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new CliError(`${flag} must be an ISO date-time such as 2024-05-01T00:00:00Z, got "${value}"`, 2);
  return new Date(time).toISOString();
}
