// Following a run to its end by polling GET /v1/runs/:id.
import { CliError, type Client } from './client.js';
import { FINAL, plainLine, progressLine, type RunView } from './progress.js';

export interface Output {
  isTTY: boolean;
  write(text: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A few unreachable polls in a row are survived: an API restart must not end a long follow. */
const MAX_MISSED_POLLS = 30;

export async function followRun(client: Client, runId: string, out: Output, pollMs: number): Promise<RunView> {
  const path = `/v1/runs/${encodeURIComponent(runId)}`;
  let last = '';
  let missed = 0;
  for (let frame = 0; ; frame++) {
    let run: RunView;
    try {
      run = await client.get<RunView>(path);
      missed = 0;
    } catch (error) {
      if (!(error instanceof CliError) || ++missed > MAX_MISSED_POLLS) throw error;
      out.write(`${out.isTTY ? '\r\x1b[2K' : ''}still following ${runId}: ${error.message}\n`);
      await sleep(pollMs);
      continue;
    }
    const done = FINAL.includes(run.status);
    if (out.isTTY) {
      out.write(`\r\x1b[2K${progressLine(run, frame)}${done ? '\n' : ''}`);
    } else {
      const line = plainLine(run);
      // A new attempt, or a new time for the next one, is news too.
      const key = `${run.status} ${run.progress.recordsProcessed} ${run.progress.pages} ${run.waiting?.attempt ?? ''} ${run.waiting?.nextAttemptAt ?? ''}`;
      if (key !== last) out.write(`${line}\n`);
      last = key;
    }
    if (done) return run;
    await sleep(pollMs);
  }
}
