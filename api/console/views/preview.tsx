// A job's preview: what a run would do with the next records, under the saved job or a draft of it,
// record by record, with nothing written. The forms that ask for one sit on the job's page.
import type { PreviewAnswer } from '../../../services/previews.js';
import type { PreviewOutcome, PreviewRecord } from '../../../activities/preview.js';
import type { Value } from '../../../sync/transform.js';
import type { JobOverview } from '../queries.js';
import type { Session } from '../session.js';
import { Layout } from './layout.js';
import { Notice, When, number } from './format.js';

export const PREVIEW_DEFAULT_LIMIT = 50;

const OUTCOMES: { key: PreviewOutcome; words: string }[] = [
  { key: 'insert', words: 'insert' },
  { key: 'update', words: 'update' },
  { key: 'unchanged', words: 'unchanged' },
  { key: 'filtered', words: 'filtered out' },
  { key: 'fail', words: 'fail' },
];

const shown = (value: Value | undefined) => (value === undefined ? '-' : value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value));

/** The saved job's record-shaping parts, as a draft to edit: what PATCH /v1/jobs/:id would take. */
export const draftOf = (job: JobOverview['job']) =>
  JSON.stringify({ modificationType: job.modificationType, mappings: job.mappings, derivedMappings: job.derivedMappings, filters: job.filters }, null, 2);

/** The preview forms of a job's page: the saved job for anyone, a draft for an admin. */
/** What the last preview was asked with, kept in the forms to ask again. */
export interface PreviewAsked {
  limit?: string | undefined;
  from?: string | undefined;
  draft?: string | undefined;
}

export function PreviewForms({ job, admin, asked = {} }: { job: JobOverview; admin: boolean; asked?: PreviewAsked }) {
  const limit = asked.limit || String(PREVIEW_DEFAULT_LIMIT);
  const action = `/console/jobs/${encodeURIComponent(job.job.id)}/preview`;
  return (
    <>
      <form method="post" action={action} id="preview-saved">
        <p class="muted">Reads the next records as Import Now would (or those of a window) and shows what a run would do with each. Writes nothing.</p>
        <WindowFields limit={limit} from={asked.from} submit="Preview" />
      </form>
      {admin && (
        <details open={asked.draft !== undefined}>
          <summary>Preview a draft of this job</summary>
          <form method="post" action={action} id="preview-draft">
            <p class="muted">Edit the mappings, filters or modification type below (as PATCH /v1/jobs/:id takes them) and see what they would do. The saved job stays as it is.</p>
            <textarea name="draft" rows={14} spellcheck={false} class="code" aria-label="Draft of the job (JSON)">
              {asked.draft ?? draftOf(job.job)}
            </textarea>
            <WindowFields limit={limit} from={asked.from} submit="Preview the draft" />
          </form>
        </details>
      )}
    </>
  );
}

/** How many records a preview reads and from when, and its button. */
function WindowFields({ limit, from, submit }: { limit: string; from: string | undefined; submit: string }) {
  return (
    <div class="filters">
      <label>
        Records
        <input type="number" name="limit" min={1} max={1000} value={limit} required />
      </label>
      <label>
        From (UTC, empty: the watermark)
        <input type="datetime-local" name="from" step={1} value={from ?? ''} />
      </label>
      <button type="submit">{submit}</button>
    </div>
  );
}

function Values({ values }: { values: Record<string, Value> | undefined }) {
  if (!values) return null;
  return (
    <dl class="values">
      {Object.entries(values).map(([field, value]) => (
        <>
          <dt>{field}</dt>
          <dd>{shown(value)}</dd>
        </>
      ))}
    </dl>
  );
}

function What({ record }: { record: PreviewRecord }) {
  switch (record.outcome) {
    case 'update':
      return (
        <>
          <ul class="changes">
            {(record.changes ?? []).map((c) => (
              <li>
                <b>{c.field}</b>: <del>{shown(c.from)}</del> → <ins>{shown(c.to)}</ins>
              </li>
            ))}
          </ul>
          <details>
            <summary>all mapped values</summary>
            <Values values={record.values} />
          </details>
        </>
      );
    case 'filtered':
      return (
        <p class="reason">
          {`fails the filter: ${(record.filter ?? []).map((c) => `${c.id} (${c.field} ${c.op}${c.value === undefined ? '' : ` ${JSON.stringify(c.value)}`})`).join(', ')}`}
        </p>
      );
    case 'fail':
      return <p class="reason">{record.reason}</p>;
    default:
      return <Values values={record.values} />;
  }
}

export function PreviewPage({ session, job, preview, temporalUrl, asked }: { session: Session; job: JobOverview; preview: PreviewAnswer; temporalUrl: string | null; asked: PreviewAsked }) {
  const { summary } = preview;
  return (
    <Layout title={`Preview of ${job.job.name}`} session={session} section="jobs">
      <p class="muted">
        <a href="/console/jobs">Jobs</a> › <a href={`/console/jobs/${encodeURIComponent(job.job.id)}`}>{job.job.name}</a> › preview
      </p>
      <h1>{`Preview of ${job.job.name}${preview.draft ? ' (draft)' : ''}`}</h1>
      <Notice kind="info" title="Nothing was written">
        <p>
          {`${number(summary.fetched)} record${summary.fetched === 1 ? '' : 's'} read from the source, window `}
          <When at={preview.window.from} /> to <When at={preview.window.to} />
          {`. What a run would do with them, under ${preview.draft ? 'the draft' : 'the saved job'}; the target, the runs and the watermark are as they were. `}
          {temporalUrl ? <a href={temporalUrl}>{`${preview.workflowId} in the Temporal UI`}</a> : <code>{preview.workflowId}</code>}
        </p>
      </Notice>
      <div class="counts">
        {OUTCOMES.map((o) => (
          <div>
            <span class="muted">{o.words}</span>
            <b data-count={o.key}>{number(summary[o.key])}</b>
          </div>
        ))}
      </div>
      {preview.records.length === 0 ? (
        <p>The source has no records in this window: a run now would change nothing.</p>
      ) : (
        <table class="preview">
          <thead>
            <tr>
              <th>Source id</th>
              <th>Outcome</th>
              <th>What it would do</th>
            </tr>
          </thead>
          <tbody>
            {preview.records.map((record) => (
              <tr data-outcome={record.outcome}>
                <td>{record.sourceId ?? '-'}</td>
                <td>
                  <span class={`outcome outcome-${record.outcome}`}>{OUTCOMES.find((o) => o.key === record.outcome)?.words ?? record.outcome}</span>
                </td>
                <td>
                  <What record={record} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Again</h2>
      <PreviewForms job={job} admin={session.role === 'admin'} asked={asked} />
    </Layout>
  );
}
