// Runs: the list with its filters, one run live, and its failed records.
import type { RunErrorRow } from '../../../db/schema.js';
import { RUN_TRIGGERS } from '../../../sync/types.js';
import { waitedSentence, durationWords } from '../../../services/run-waits.js';
import type { RunView } from '../queries.js';
import type { Session } from '../session.js';
import { Layout } from './layout.js';
import { Duration, Notice, Status, TRIGGER_WORDS, When, number } from './format.js';

const FINAL = ['success', 'partial_success', 'failure', 'cancelled'];
const STATUSES = ['queued', 'running', 'retrying', 'success', 'partial_success', 'failure', 'cancelled'];

export const runHref = (id: string) => `/console/runs/${encodeURIComponent(id)}`;

export function RunsTable({ runs, showJob }: { runs: RunView[]; showJob: boolean }) {
  if (runs.length === 0) return <p class="muted">No runs match.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Run</th>
          {showJob && <th>Job</th>}
          <th>Status</th>
          <th>Trigger</th>
          <th>Asked by</th>
          <th>Queued</th>
          <th>Took</th>
          <th>Fetched</th>
          <th>Written</th>
          <th>Failed</th>
          <th>Why</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr data-run={run.id}>
            <td>
              <a href={runHref(run.id)}>{run.id}</a>
            </td>
            {showJob && <td>{run.jobName ?? run.jobId}</td>}
            <td>
              <Status status={run.status} />
            </td>
            <td>{TRIGGER_WORDS[run.trigger] ?? run.trigger}</td>
            <td>{run.actor ?? '-'}</td>
            <td>
              <When at={run.queuedAt} />
            </td>
            <td>
              <Duration from={run.startedAt} to={run.finishedAt} />
            </td>
            <td>{number(run.counts.fetched)}</td>
            <td>{number(run.counts.inserted + run.counts.updated)}</td>
            <td>{run.counts.failed > 0 ? <a href={`${runHref(run.id)}/failures`}>{number(run.counts.failed)}</a> : '0'}</td>
            <td class="why">{run.waiting ? `waiting: ${run.waiting.lastError.message}` : run.error ? run.error.message : run.waited ? `waited ${durationWords(run.waited.seconds)} on an outage` : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface RunsFilterValues {
  job?: string | undefined;
  status?: string | undefined;
  trigger?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** A filter chosen from a list, `any` first: [value, text] per option. */
function Choice({ label, name, any, selected, options }: { label: string; name: string; any: string; selected: string | undefined; options: [string, string][] }) {
  return (
    <label>
      {label}
      <select name={name}>
        <option value="">{any}</option>
        {options.map(([value, text]) => (
          <option value={value} selected={selected === value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

export function RunsPage({ session, runs, filters, jobs, nextHref }: { session: Session; runs: RunView[]; filters: RunsFilterValues; jobs: { id: string; name: string }[]; nextHref: string | null }) {
  return (
    <Layout title="Runs" session={session} section="runs">
      <h1>Runs</h1>
      <form method="get" action="/console/runs" class="filters" aria-label="Filter runs">
        <Choice label="Job" name="job" any="any job" selected={filters.job} options={jobs.map((j) => [j.id, j.name])} />
        <Choice label="Status" name="status" any="any status" selected={filters.status} options={STATUSES.map((s) => [s, s.replace('_', ' ')])} />
        <Choice label="Trigger" name="trigger" any="any trigger" selected={filters.trigger} options={RUN_TRIGGERS.map((t) => [t, TRIGGER_WORDS[t] ?? t])} />
        <label>
          Queued from (UTC)
          <input type="datetime-local" name="from" value={filters.from ?? ''} step={1} />
        </label>
        <label>
          until (UTC)
          <input type="datetime-local" name="to" value={filters.to ?? ''} step={1} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <RunsTable runs={runs} showJob />
      <div class="pager">
        <span />
        {nextHref && <a href={nextHref}>Older runs →</a>}
      </div>
    </Layout>
  );
}

export interface RunPageData {
  run: RunView;
  temporalUrl: string | null;
  /** The job's workflow, which holds a run until it leaves the queue. */
  jobWorkflowUrl: string | null;
  canAct: boolean;
}

export function RunPage({ session, data, problem }: { session: Session; data: RunPageData; problem?: string | undefined }) {
  const { run } = data;
  return (
    <Layout title={`Run ${run.id}`} session={session} section="runs">
      <p class="muted">
        <a href={`/console/jobs/${encodeURIComponent(run.jobId)}`}>{run.jobName ?? run.jobId}</a> › run
      </p>
      <h1>{`Run ${run.id}`}</h1>
      {problem && (
        <Notice kind="error" title="Not started">
          <p>{problem}</p>
        </Notice>
      )}
      <RunPanel data={data} />
    </Layout>
  );
}

/** The part of a run's page that follows the run: refreshed every 2 seconds until it ends. */
export function RunPanel({ data }: { data: RunPageData }) {
  const { run } = data;
  const live = !FINAL.includes(run.status);
  const href = runHref(run.id);
  return (
    <section id="run-panel" {...(live ? { 'hx-get': `${href}/panel`, 'hx-trigger': 'every 2s', 'hx-swap': 'outerHTML' } : {})} aria-live="polite">
      <p>
        <Status status={run.status} /> {live ? <span class="muted">(this page follows the run)</span> : null}
      </p>
      {run.waiting && (
        <Notice kind="warning" title={`Waiting on ${run.waiting.reason === 'source_unavailable' ? 'the source' : run.waiting.reason === 'worker_lost' ? 'a lost worker' : 'an error'}: ${run.waiting.attempt - 1} failed attempt${run.waiting.attempt === 2 ? '' : 's'}, attempt ${run.waiting.attempt} ${run.waiting.nextAttemptAt ? 'comes next' : 'is running'}`}>
          <dl class="facts">
            <dt>Why</dt>
            <dd>{run.waiting.lastError.message}</dd>
            <dt>Error code</dt>
            <dd>
              <code>{run.waiting.lastError.code}</code> ({run.waiting.reason.replace('_', ' ')})
            </dd>
            <dt>Since</dt>
            <dd>
              <When at={run.waiting.since} /> ({durationWords((Date.now() - Date.parse(run.waiting.since)) / 1000)})
            </dd>
            <dt>Next attempt</dt>
            <dd>{run.waiting.nextAttemptAt ? <When at={run.waiting.nextAttemptAt} /> : 'running now'}</dd>
          </dl>
          <p class="muted">Temporal retries with backoff (1 s doubling to 5 minutes) within the job's outage budget; the run goes on from its last committed page. Nothing to do unless the source stays down.</p>
        </Notice>
      )}
      {run.error && (
        <Notice kind="error" title={`Failed: ${run.error.code}`}>
          <p>{run.error.message}</p>
        </Notice>
      )}
      {run.waited && (
        <Notice kind="info" title="It waited on an outage">
          <p>{`${waitedSentence(run.waited)}.`}</p>
        </Notice>
      )}
      <div class="counts">
        {(['fetched', 'filtered', 'inserted', 'updated', 'unchanged', 'failed'] as const).map((key) => (
          <div>
            <span class="muted">{key}</span>
            <b data-count={key}>{number(run.counts[key])}</b>
          </div>
        ))}
        <div>
          <span class="muted">pages</span>
          <b data-count="pages">{number(run.progress.pages)}</b>
        </div>
      </div>
      <dl class="facts">
        <dt>Trigger</dt>
        <dd>{`${TRIGGER_WORDS[run.trigger] ?? run.trigger}${run.actor ? `, asked by ${run.actor}` : ''}`}</dd>
        {run.trigger === 'retry_failed' && (
          <>
            <dt>Retries</dt>
            <dd>{run.parentRunId ? <>the failed records of <a href={runHref(run.parentRunId)}>{`run ${run.parentRunId}`}</a></> : "every record of the job that was failing when it was asked for"}</dd>
          </>
        )}
        <dt>Window</dt>
        <dd>
          <When at={run.window.from} /> to <When at={run.window.to} />
        </dd>
        <dt>Queued</dt>
        <dd>
          <When at={run.queuedAt} />
        </dd>
        <dt>Started</dt>
        <dd>
          <When at={run.startedAt} />
        </dd>
        <dt>Finished</dt>
        <dd>
          {run.finishedAt ? (
            <>
              <When at={run.finishedAt} /> <span class="muted">(took <Duration from={run.startedAt} to={run.finishedAt} />)</span>
            </>
          ) : run.startedAt ? (
            <span class="muted">
              not yet: running for <Duration from={run.startedAt} to={null} />
            </span>
          ) : (
            <span class="muted">not yet</span>
          )}
        </dd>
        <dt>Temporal</dt>
        <dd>
          {run.status === 'queued' ? (
            <>
              <code>{run.workflowId}</code> starts when the run leaves the queue; until then{' '}
              {data.jobWorkflowUrl ? <a href={data.jobWorkflowUrl}>the job's workflow</a> : "the job's workflow"} holds it.
            </>
          ) : data.temporalUrl ? (
            <a href={data.temporalUrl} rel="noopener">{`${run.workflowId} in the Temporal UI`}</a>
          ) : (
            <code>{run.workflowId}</code>
          )}
        </dd>
      </dl>
      {run.counts.failed > 0 && (
        <div class="actions">
          <a href={`${runHref(run.id)}/failures`} role="button" class="secondary">
            {`Read the ${number(run.counts.failed)} failed record${run.counts.failed === 1 ? '' : 's'}`}
          </a>
          <a href={`${runHref(run.id)}/failures.csv`} role="button" class="secondary outline" download>
            Download them as CSV
          </a>
          {data.canAct && !live && (
            <form method="post" action={`${runHref(run.id)}/retry-failed`}>
              <button type="submit">Retry the failed records</button>
            </form>
          )}
        </div>
      )}
    </section>
  );
}

export function FailuresPage({ session, run, failures, nextHref }: { session: Session; run: RunView; failures: RunErrorRow[]; nextHref: string | null }) {
  return (
    <Layout title={`Failed records of ${run.id}`} session={session} section="runs">
      <p class="muted">
        <a href={`/console/jobs/${encodeURIComponent(run.jobId)}`}>{run.jobName ?? run.jobId}</a> › <a href={runHref(run.id)}>{`run ${run.id}`}</a> › failed records
      </p>
      <h1>{`Failed records of run ${run.id}`}</h1>
      <p class="actions">
        <span>{`${number(run.counts.failed)} record${run.counts.failed === 1 ? '' : 's'} failed; the rest of the run went on.`}</span>
        <a href={`${runHref(run.id)}/failures.csv`} role="button" class="secondary outline small" download>
          Download as CSV
        </a>
      </p>
      <table>
        <thead>
          <tr>
            <th>Source id</th>
            <th>Key values</th>
            <th>Reason</th>
            <th>Record</th>
          </tr>
        </thead>
        <tbody>
          {failures.map((f) => (
            <tr>
              <td>{f.sourceId ?? '-'}</td>
              <td>
                <code>{JSON.stringify(f.keyValues)}</code>
              </td>
              <td class="reason">{f.reason}</td>
              <td>
                <details>
                  <summary>{f.recordTruncated ? 'record (its beginning)' : 'record'}</summary>
                  <pre class="record">{JSON.stringify(f.record, null, 1)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="pager">
        <span />
        {nextHref && <a href={nextHref}>Next failed records →</a>}
      </div>
    </Layout>
  );
}
