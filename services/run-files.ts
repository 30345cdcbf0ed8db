// A run's counts per source file (file-based connectors), in the order the run read the files.
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { runFiles } from '../db/schema.js';
import type { RunCounts } from '../sync/types.js';

export interface RunFile {
  name: string;
  counts: RunCounts;
}

export async function runFilesOf(db: Db, runId: string): Promise<RunFile[]> {
  const rows = await db.select().from(runFiles).where(eq(runFiles.runId, runId)).orderBy(asc(runFiles.firstPage), asc(runFiles.file));
  return rows.map((r) => ({
    name: r.file,
    counts: { fetched: r.fetched, filtered: r.filtered, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, failed: r.failed },
  }));
}

/** The run document's `files`, present only for runs that read files. */
export async function withFiles<T extends { id: string }>(db: Db, run: T): Promise<T & { files?: RunFile[] }> {
  const files = await runFilesOf(db, run.id);
  return files.length > 0 ? { ...run, files } : run;
}
