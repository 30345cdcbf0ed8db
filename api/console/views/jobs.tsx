// Jobs: what each does now, its last run, its next scheduled run and its watermark; one job with the
// actions an admin can take on it and its recent runs.
import type { ComponentChildren } from 'preact';
import type { JobOverview, RunView } from '../queries.js';
import type { Session } from '../session.js';
import { Layout } from './layout.js';
import { Notice, Status, When } from './format.js';
import type { Schedule } from '../../../sync/types.js';
import { RunsTable, runHref } from './runs.js';

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

/**
 * What an admin can do with a job, each a form of its own. Later actions (a preview, a retry of
 * failed records) add an entry here.
 */
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

export function JobPage({ session, job, runs, problem }: { session: Session; job: JobOverview; runs: RunView[]; problem?: string | undefined }) {
  const admin = session.role === 'admin';
  const keys = job.job.mappings.filter((m) => m.upsertKey).map((m) => m.target);
  return (
    <Layout title={job.job.name} session={session} section="jobs">
      <p class="muted">
        <a href="/console/jobs">Jobs</a> › {job.connectionName}
      </p>
      <h1>{job.job.name}</h1>
      {problem && (
        <Notice kind="error" title="Not started">
          <p>{problem}</p>
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
      <h2>Recent runs</h2>
      <RunsTable runs={runs} showJob={false} />
      <p>
        <a href={`/console/runs?job=${encodeURIComponent(job.job.id)}`}>All runs of this job, with filters →</a>
      </p>
    </Layout>
  );
}
