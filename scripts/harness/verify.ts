// The checks after every chaos scenario: the run ended on its own feet, the target holds exactly
// the source (nothing missing, nothing twice), the counts and errors add up exactly, and the
// watermark is the end of the run's window.
import { pairOf, type Expected } from './expectations.js';
import { jobIdle, type RunDoc } from './flow.js';
import type { HarnessStack } from './stack.js';

export type Check = (what: string, ok: boolean, detail?: string) => void;

function sameSet(actual: Iterable<string>, expected: Iterable<string>): string | null {
  const a = new Set(actual);
  const e = new Set(expected);
  const missing = [...e].filter((x) => !a.has(x));
  const extra = [...a].filter((x) => !e.has(x));
  if (missing.length === 0 && extra.length === 0) return null;
  return `${missing.length} missing (${missing.slice(0, 3).join(', ')}), ${extra.length} unexpected (${extra.slice(0, 3).join(', ')})`;
}

export async function verifyRun(stack: HarnessStack, jobId: string, run: RunDoc, expected: Expected, check: Check): Promise<void> {
  const { sql } = stack.database;
  const failing = [...expected.unplaceable, ...expected.poisoned];
  const status = failing.length > 0 ? 'partial_success' : 'success';
  check(`the run ended ${status}`, run.status === status, `${run.status} ${JSON.stringify(run.error)}`);

  const companies = await sql<{ px_account_id: string; name: string }[]>`select px_account_id, name from company`;
  const wrongNames = companies.filter((c) => expected.companies.get(c.px_account_id) !== c.name).length;
  check(
    `company holds each of the ${expected.companies.size} accounts once, with its name`,
    companies.length === expected.companies.size && sameSet(companies.map((c) => c.px_account_id), expected.companies.keys()) === null && wrongNames === 0,
    `${companies.length} rows, ${wrongNames} with a wrong name; ${sameSet(companies.map((c) => c.px_account_id), expected.companies.keys())}`,
  );

  const persons = await sql<{ email: string }[]>`select lower(email) as email from person`;
  check(
    `person holds each of the ${expected.persons.size} emails once`,
    persons.length === expected.persons.size && sameSet(persons.map((p) => p.email), expected.persons) === null,
    `${persons.length} rows; ${sameSet(persons.map((p) => p.email), expected.persons)}`,
  );

  const rows = await sql<{ email: string; account: string | null; px_user_id: string }[]>`
    select p.email, c.px_account_id as account, cp.px_user_id
    from company_person cp join person p on p.gsid = cp.person_id left join company c on c.gsid = cp.company_id`;
  const pairs = rows.map((r) => pairOf(r.email, r.account ?? '(none)'));
  const wrongUser = rows.filter((r) => expected.pairs.get(pairOf(r.email, r.account ?? '(none)')) !== r.px_user_id).length;
  check(
    `company_person holds each of the ${expected.pairs.size} person-company pairs once, from the latest user`,
    rows.length === expected.pairs.size && new Set(pairs).size === pairs.length && sameSet(pairs, expected.pairs.keys()) === null && wrongUser === 0,
    `${rows.length} rows, ${pairs.length - new Set(pairs).size} duplicates, ${wrongUser} from the wrong user; ${sameSet(pairs, expected.pairs.keys())}`,
  );

  const counts = {
    fetched: expected.users,
    filtered: expected.filtered,
    inserted: expected.pairs.size,
    failed: failing.length,
    updatedOrUnchanged: expected.linked - expected.pairs.size,
  };
  const actual = {
    fetched: run.counts.fetched,
    filtered: run.counts.filtered,
    inserted: run.counts.inserted,
    failed: run.counts.failed,
    updatedOrUnchanged: run.counts.updated + run.counts.unchanged,
  };
  check(`the counts are exact ${JSON.stringify(counts)}`, JSON.stringify(actual) === JSON.stringify(counts), JSON.stringify(actual));

  const errors = await sql<{ source_id: string }[]>`select source_id from run_errors where run_id = ${run.id}`;
  const what = expected.poisoned.length > 0 ? `${expected.unplaceable.length} unplaceable and ${expected.poisoned.length} poisoned` : `${expected.unplaceable.length} unplaceable`;
  check(
    `the errors file lists each of the ${what} users once`,
    errors.length === failing.length && sameSet(errors.map((e) => e.source_id), failing) === null,
    `${errors.length} rows; ${sameSet(errors.map((e) => e.source_id), failing)}`,
  );

  // The run's row ends a moment before its job's workflow moves the watermark and mirrors it.
  const state = await jobIdle(stack, jobId, 60_000);
  const [mirror] = await sql<{ watermark: string | null }[]>`select watermark from job_state where job_id = ${jobId}`;
  const mirrored = mirror?.watermark ? new Date(mirror.watermark).toISOString() : null;
  check(
    `the watermark is the end of the run's window (${run.window.to})`,
    state.watermark === run.window.to && mirrored === run.window.to,
    `workflow ${JSON.stringify(state)}, mirror ${mirrored}`,
  );
}
