// Files for the file-based connectors: uploads through the API, and large CSVs made on the fly.
import { Readable } from 'node:stream';
import { ADMIN_TOKEN, type Stack } from './stack.js';

export interface UploadAnswer {
  runId: string;
  status: string;
  workflowId: string;
  upload: { id: string; name: string; rows: number; malformed: number; header: string[]; status: string };
}

/** POSTs a file to a Bulk API job as a client would, streaming the body. */
export async function uploadFile(
  stack: Stack,
  jobId: string,
  body: Readable | string,
  options: { contentType?: string; query?: Record<string, string> } = {},
): Promise<{ status: number; body: UploadAnswer & { error?: { code: string; message: string; details: { path: string; message: string }[] } } }> {
  const query = new URLSearchParams(options.query ?? {}).toString();
  const response = await stack.app.inject({
    method: 'POST',
    url: `/v1/bulk/jobs/${jobId}/files${query ? `?${query}` : ''}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': options.contentType ?? 'text/csv' },
    payload: body,
  });
  return { status: response.statusCode, body: JSON.parse(response.body) as never };
}

export interface AccountsFile {
  stream: Readable;
  /** Rows that must land, by account id. */
  good: Map<string, { name: string; employees: number }>;
  /** File lines that must fail, with a word their reason must contain. */
  bad: Map<number, string>;
}

/**
 * `rows` accounts as CSV with a UTF-8 BOM and CRLF line ends, names holding commas and quotes, and
 * every `badEvery`-th row broken: alternately an employee count that is not a number and a line
 * with a field too many. Generated as it is read, never held whole.
 */
export function accountsCsv(rows: number, badEvery: number): AccountsFile {
  const good = new Map<string, { name: string; employees: number }>();
  const bad = new Map<number, string>();
  function* lines(): Generator<string> {
    yield '\uFEFFAccount Id,Name,Employees\r\n';
    let chunk = '';
    for (let i = 1; i <= rows; i++) {
      const line = i + 1;
      const id = `acc-${i}`;
      const name = i % 3 === 0 ? `Acme ${i}, Inc.` : i % 3 === 1 ? `The "Best" ${i}` : `Plain ${i}`;
      const quoted = `"${name.replaceAll('"', '""')}"`;
      if (i % badEvery === 0 && (i / badEvery) % 2 === 1) {
        chunk += `${id},${quoted},lots\r\n`;
        bad.set(line, 'expected a number');
      } else if (i % badEvery === 0) {
        chunk += `${id},${quoted},12,extra\r\n`;
        bad.set(line, 'field');
      } else {
        chunk += `${id},${quoted},${i % 500}\r\n`;
        good.set(id, { name, employees: i % 500 });
      }
      if (chunk.length > 64 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  return { stream: Readable.from(lines()), good, bad };
}
