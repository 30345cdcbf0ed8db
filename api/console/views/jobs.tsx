// Jobs: what each does now, its last run, its next scheduled run and its watermark; one job with the
// actions an admin can take on it and its recent runs.
import type { ComponentChildren } from 'preact';
import type { JobOverview, RunView } from '../queries.js';
import type { Session } from '../session.js';
import { Layout } from './layout.js';
import { Notice, Status, When, number } from './format.js';
import type { Schedule } from '../../../sync/types.js';
import type { OpenFailure } from '../../../services/open-failures.js';
import { RunsTable, runHref } from './runs.js';
import { PreviewForms, type PreviewAsked } from './preview.js';

export const jobHref = (id: string) => `/console/jobs/${encodeURIComponent(id)}`;

/** A schedule in words: "every 6 hours", "daily at 09:30", "Mondays and Thursdays at 06:00"; with its zone. */
export function scheduleWords(schedule: Schedule): string {
  const every = (hours: number | undefined) => (hours && hours > 1 ? `every ${hours} hours` : 'every hour');
  const when =
    schedule.frequency === 'hourly'
      ? every(schedule.everyHours)
      : schedule.frequency === 'daily' && schedule.daily
        ? schedule.daily.mode === 'once'
          ? `daily at ${schedule.daily.at}`
          : `daily ${every(schedule.daily.everyHours)} from ${schedule.daily.from} to ${schedule.daily.to}`
        : schedule.frequency === 'weekly' && schedule.weekly
          ? `weekly on ${schedule.weekly.days.join(', ')} at ${schedule.weekly.at}`
          : schedule.frequency === 'monthly' && schedule.monthly
            ? `monthly on day ${schedule.monthly.day} at ${schedule.monthly.at}`
            : schedule.frequency;
  return `${when} (${schedule.timezone})${schedule.enabled ? '' : ', disabled'}`;
}

function ImportNowButton({ jobId, label = 'Import Now', small = true }: { jobId: string; label?: string; small?: boolean }) {
  return (
    <form method="post" action={`${jobHref(jobId)}/import-now`} class="inline">
      <button type="submit" class={small ? 'small' : undefined}>
        {label}
      </button>
    </form>
  );
}

function Now({ job }: { job: JobOverview }) {
  if (job.now === 'idle') return <span class="muted">idle</span>;
  return (
    <>
      <Status status={job.now} />
      {job.queued > 0 && job.now !== 'queued' ? <span class="muted">{` +${job.queued} queued`}</span> : null}
    </>
  );
}

export function JobsPage({ session, jobs, connectionName }: { session: Session; jobs: JobOverview[]; connectionName?: string | undefined }) {
  const admin = session.role === 'admin';
  return (
    <Layout title="Jobs" session={session} section="jobs">
      <h1>{connectionName ? `Jobs of ${connectionName}` : 'Jobs'}</h1>
      {jobs.length === 0 ? (
        <p>No jobs yet: a connection brings its out-of-the-box jobs (POST /v1/connections).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Job</th>
              <th>Connection</th>
              <th>Now</th>
              <th>Last run</th>
              <th>Next scheduled run</th>
              <th>Watermark</th>
              {admin && <th>Act</th>}
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr data-job={j.job.id}>
                <td>
                  <a href={jobHref(j.job.id)}>{j.job.name}</a>
                  <br />
                  <span class="muted">{`${j.job.sourceObject} → ${j.job.targetObject}`}</span>
                </td>
                <td>{j.connectionName}</td>
                <td>
                  <Now job={j} />
                </td>
                <td>
                  {j.lastRun ? (
                    <>
                      <Status status={j.lastRun.status} /> <a href={runHref(j.lastRun.id)}>{j.lastRun.id}</a>
                      <br />
                      <When at={j.lastRun.finishedAt ?? j.lastRun.startedAt ?? j.lastRun.queuedAt} />
                    </>
                  ) : (
                    <span class="muted">never ran</span>
                  )}
                </td>
                <td>{j.nextRunAt ? <When at={j.nextRunAt} /> : <span class="muted">{j.job.schedule ? (j.job.schedule.enabled ? '-' : 'schedule disabled') : 'not scheduled'}</span>}</td>
                <td>{j.watermark ? <When at={j.watermark} /> : <span class="muted">none: next Import Now reads everything</span>}</td>
                {admin && (
                  <td>
                    <ImportNowButton jobId={j.job.id} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** What an admin can do with a job, each a form of its own. */
export function jobActions(job: JobOverview): { id: string; title: string; body: ComponentChildren }[] {
  const base = jobHref(job.job.id);
  return [
    {
      id: 'import-now',
      title: 'Import Now',
      body: (
        <>
          <p class="muted">{job.watermark ? 'Reads what changed since the watermark (less the lookback) and moves it.' : 'The first run reads everything, then sets the watermark.'}</p>
          <ImportNowButton jobId={job.job.id} small={false} />
        </>
      ),
    },
    {
      id: 'import-from-date',
      title: 'Import From Date',
      body: (
        <form method="post" action={`${base}/import-from-date`}>
          <p class="muted">Reads what changed in [from, to) again; the watermark stays where it is. Times are UTC.</p>
          <div class="filters">
            <label>
              From (UTC)
              <input type="datetime-local" name="from" required step={1} />
            </label>
            <label>
              To (UTC, empty: now)
              <input type="datetime-local" name="to" step={1} />
            </label>
            <button type="submit">Import From Date</button>
          </div>
        </form>
      ),
    },
  ];
}

/** The records of a job failing now: the latest failure of each, until a later run writes it. */
export interface JobFailures {
  total: number;
  reasons: { reason: string; count: number }[];
  latest: OpenFailure[];
}

function FailingNow({ job, failures, admin }: { job: JobOverview; failures: JobFailures; admin: boolean }) {
  if (failures.total === 0) return <p class="muted">Nothing: every record the runs read was written, or the failed ones were written since.</p>;
  const unretryable = failures.latest.filter((f) => !f.retryable).length;
  return (
    <>
      <div class="actions">
        <span>{`${number(failures.total)} source record${failures.total === 1 ? '' : 's'} failing now, each with the reason of its latest failure; a later run that writes one closes it.`}</span>
        {admin && (
          <form method="post" action={`${jobHref(job.job.id)}/retry-failed`}>
            <button type="submit" class="small">{`Retry all ${number(failures.total)} under the current configuration`}</button>
          </form>
        )}
      </div>
      <table class="reasons">
        <thead>
          <tr>
            <th>What fails</th>
            <th>Records</th>
          </tr>
        </thead>
        <tbody>
          {failures.reasons.map((r) => (
            <tr>
              <td class="reason">{r.reason}</td>
              <td>{number(r.count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details>
        <summary>{`The latest ${failures.latest.length}`}</summary>
        <table>
          <thead>
            <tr>
              <th>Source id</th>
              <th>Reason</th>
              <th>Last failed</th>
            </tr>
          </thead>
          <tbody>
            {failures.latest.map((f) => (
              <tr>
                <td>{f.sourceId}</td>
                <td class="reason">
                  {f.reason}
                  {!f.retryable && <span class="muted"> (only part of the record was kept: a retry cannot send it again; fix it at the source)</span>}
                </td>
                <td>
                  <When at={f.failedAt} /> in <a href={runHref(f.runId)}>{f.runId}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {unretryable > 0 && <p class="muted">{`${unretryable} of these cannot be retried from what was kept.`}</p>}
      </details>
    </>
  );
}

export function JobPage({ session, job, runs, failures, problem, asked }: { session: Session; job: JobOverview; runs: RunView[]; failures: JobFailures; problem?: { title: string; message: string } | undefined; asked?: PreviewAsked | undefined }) {
  const admin = session.role === 'admin';
  const keys = job.job.mappings.filter((m) => m.upsertKey).map((m) => m.target);
  return (
    <Layout title={job.job.name} session={session} section="jobs">
      <p class="muted">
        <a href="/console/jobs">Jobs</a> › {job.connectionName}
      </p>
      <h1>{job.job.name}</h1>
      {problem && (
        <Notice kind="error" title={problem.title}>
          <p>{problem.message}</p>
        </Notice>
      )}
      <dl class="facts">
        <dt>Reads</dt>
        <dd>{`${job.job.sourceObject} from ${job.connectionName} (${job.connector})`}</dd>
        <dt>Writes</dt>
        <dd>{`${job.job.targetObject}, ${job.job.modificationType} by ${keys.length > 0 ? keys.join(' + ') : 'no upsert key yet (set one before it can run)'}`}</dd>
        <dt>Now</dt>
        <dd>
          <Now job={job} />
        </dd>
        <dt>Watermark</dt>
        <dd>{job.watermark ? <When at={job.watermark} /> : <span class="muted">none: the next Import Now reads everything</span>}</dd>
        <dt>Schedule</dt>
        <dd>{job.job.schedule ? scheduleWords(job.job.schedule) : 'none'}</dd>
        <dt>Next scheduled run</dt>
        <dd>{job.nextRunAt ? <When at={job.nextRunAt} /> : <span class="muted">-</span>}</dd>
      </dl>
      {admin ? (
        <section class="job-actions">
          {jobActions(job).map((action) => (
            <article id={`action-${action.id}`}>
              <header>{action.title}</header>
              {action.body}
            </article>
          ))}
        </section>
      ) : (
        <p class="muted">Sign in with an admin token to start runs.</p>
      )}
      <h2>Preview</h2>
      <PreviewForms job={job} admin={admin} asked={asked} />
      <h2>What fails now</h2>
      <FailingNow job={job} failures={failures} admin={admin} />
      <h2>Recent runs</h2>
      <RunsTable runs={runs} showJob={false} />
      <p>
        <a href={`/console/runs?job=${encodeURIComponent(job.job.id)}`}>All runs of this job, with filters →</a>
      </p>
    </Layout>
  );
}
