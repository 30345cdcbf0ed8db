// The pending uploads of a job, read as one source: oldest upload first, each by the position of its
// staged rows. A run reads the uploads that were pending when it began; rows leave staged_rows in the
// transaction of the page that commits them, and an upload is consumed with its last page.
import type { Sql, Tx } from '../../db/client.js';
import type { ReadPage, ReadRequest, RejectedRecord } from '../types.js';
import { recordOf } from '../files/records.js';
import { MAX_PAGE_BYTES } from '../files/csv.js';
import { invalidConfiguration } from '../../sync/errors.js';

export interface BulkCursor {
  upload: string;
  /** The last staged row read. */
  n: number;
  /** The newest upload this run reads; later ones belong to the runs they asked for. */
  until: number;
}

interface UploadMeta {
  id: string;
  seq: number;
  name: string;
  header: string[];
}

const DEFAULT_PAGE_SIZE = 5000;
export const MAX_PAGE_SIZE = 10_000;

export class PendingUploads {
  private readonly uploads = new Map<string, UploadMeta>();

  constructor(private readonly sql: Sql) {}

  async readPage(request: ReadRequest): Promise<ReadPage> {
    const cursor = (request.cursor as BulkCursor | null) ?? (await this.start(request.run.jobId));
    if (!cursor) return { records: [], nextCursor: null };
    const upload = await this.upload(cursor.upload);
    const pageSize = Number(request.options.pageSize ?? DEFAULT_PAGE_SIZE);
    // Up to pageSize rows and about MAX_PAGE_BYTES of them (always at least one); `candidates`
    // counts the rows the page could have held, so a page cut by its bytes knows more follow.
    const rows = await this.sql<{ n: number; line: number; fields: string[] | null; problem: string | null; candidates: number }[]>`
      select n, line, fields, problem, candidates from (
        select n, line, fields, problem,
          row_number() over (order by n) as position,
          sum(coalesce(octet_length(fields::text), 0)) over (order by n) as bytes,
          count(*) over () as candidates
        from (select * from staged_rows where upload_id = ${upload.id} and n > ${cursor.n} order by n limit ${pageSize + 1}) as next
      ) as sized
      where position = 1 or bytes <= ${MAX_PAGE_BYTES}
      order by n`;
    const page = rows.slice(0, pageSize);
    const more = rows.length > pageSize || (rows.length > 0 && Number(rows[0]!.candidates) > rows.length);
    const records: Record<string, unknown>[] = [];
    const rejected: RejectedRecord[] = [];
    for (const row of page) {
      const read = recordOf(upload.header, row, upload.name);
      if (read.ok) records.push(read.record);
      else rejected.push(read.rejected);
    }
    const last = page.at(-1)?.n ?? cursor.n;
    const next = more ? { ...cursor, n: last } : await this.after(request.run.jobId, upload, cursor.until);
    const runId = request.run.id;
    return {
      records,
      rejected,
      file: upload.name,
      nextCursor: next,
      commit: async (tx: Tx) => {
        await tx`delete from staged_rows where upload_id = ${upload.id} and n > ${cursor.n} and n <= ${last}`;
        if (!more) await tx`update uploads set status = 'consumed', consumed_by_run = ${runId}, consumed_at = now() where id = ${upload.id}`;
      },
    };
  }

  /** The oldest pending upload, and the newest one this run will read. */
  private async start(jobId: string): Promise<BulkCursor | null> {
    const [bounds] = await this.sql<{ first: string | null; until: string | null }[]>`
      select (array_agg(id order by seq))[1] as first, max(seq)::text as until
      from uploads where job_id = ${jobId} and status = 'pending'`;
    if (!bounds?.first || bounds.until === null) return null;
    return { upload: bounds.first, n: 0, until: Number(bounds.until) };
  }

  private async after(jobId: string, upload: UploadMeta, until: number): Promise<BulkCursor | null> {
    const [next] = await this.sql<{ id: string }[]>`
      select id from uploads
      where job_id = ${jobId} and status = 'pending' and seq > ${upload.seq} and seq <= ${until}
      order by seq limit 1`;
    return next ? { upload: next.id, n: 0, until } : null;
  }

  private async upload(id: string): Promise<UploadMeta> {
    let meta = this.uploads.get(id);
    if (!meta) {
      const [row] = await this.sql<{ id: string; seq: string; name: string; header: string[] }[]>`select id, seq, name, header from uploads where id = ${id}`;
      if (!row) throw invalidConfiguration(`Upload ${id} was deleted while a run was reading it; was its job deleted?`);
      meta = { id: row.id, seq: Number(row.seq), name: row.name, header: row.header };
      this.uploads.set(id, meta);
    }
    return meta;
  }
}
