// The database's own ceiling: the rows a Company Person Sync wrote, written again into a fresh
// database with the engine's statement shape (INSERT … SELECT FROM unnest of text arrays, cast per
// column) in transactions of 1,000 source records, with no fetching and no mapping. With `copy`,
// the same rows and transactions go in through COPY … FROM STDIN instead: what loading pages with
// COPY could buy at most, the tables' indexes and foreign keys unchanged.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connect, type Socket } from 'node:net';
import postgres from 'postgres';
import { openDatabase, type Sql } from '../../db/client.js';
import { textArray } from '../../activities/sql.js';

interface Rows {
  companies: { gsid: string; name: string | null; px_account_id: string | null; number_of_users: number | null }[];
  persons: { gsid: string; email: string | null; first_name: string | null; last_name: string | null }[];
  companyPersons: { gsid: string; person_id: string; company_id: string | null; sign_up_date: string | null; px_user_id: string | null }[];
}

async function readRows(sql: Sql): Promise<Rows> {
  return {
    companies: await sql`select gsid, name, px_account_id, number_of_users from company`,
    persons: await sql`select gsid, email, first_name, last_name from person order by created_at, gsid`,
    companyPersons: await sql`select gsid, person_id, company_id, sign_up_date::text as sign_up_date, px_user_id from company_person`,
  } as Rows;
}

/** The arrays as the engine writes them (activities/sql.ts). */
const text = (values: (string | number | null)[]) => textArray(values.map((v) => (v === null ? null : String(v))));

/** Writes the rows `from` holds into `to` batch by batch; answers the milliseconds the writes took. */
export async function measureCeiling(fromUrl: string, toUrl: string, records: number, shape: 'unnest' | 'copy' = 'unnest', batch = 1000): Promise<{ ms: number; persons: number; companyPersons: number }> {
  // Opened as the engine opens it, so values are bound exactly as in a run. COPY goes through a
  // socket with Nagle's algorithm off: postgres.js sends a COPY's data and its end in two writes,
  // and without TCP_NODELAY the second waits for the server's delayed ACK, about 88 ms per COPY
  // here (libpq always sets TCP_NODELAY; postgres.js leaves Node's default).
  const source = openDatabase(fromUrl, { max: 1 });
  const target = shape === 'copy' ? openNoDelay(toUrl) : openDatabase(toUrl, { max: 1 });
  const from = source.sql;
  const to = target.sql;
  try {
    // postgres.js learns the array types with a connection's first query; one with an array
    // parameter would be sent before it knows them.
    await to`select 1`;
    const rows = await readRows(from);
    const c = rows.companies;
    await to`insert into company (gsid, name, px_account_id, number_of_users)
      select u.c0, u.c1::text, u.c2::text, u.c3::integer
      from unnest(${text(c.map((r) => r.gsid))}::text[], ${text(c.map((r) => r.name))}::text[],
        ${text(c.map((r) => r.px_account_id))}::text[], ${text(c.map((r) => r.number_of_users))}::text[]) as u(c0, c1, c2, c3)`;
    // Batches as a run makes them: a page of `batch` source records writes about as many persons
    // and company persons; each company person goes with the batch of its person.
    const batches = Math.max(1, Math.ceil(records / batch));
    const personBatch = new Map<string, number>();
    const persons: Rows['persons'][] = Array.from({ length: batches }, () => []);
    rows.persons.forEach((p, i) => {
      const b = Math.min(batches - 1, Math.floor((i * batches) / rows.persons.length));
      persons[b]!.push(p);
      personBatch.set(p.gsid, b);
    });
    const companyPersons: Rows['companyPersons'][] = Array.from({ length: batches }, () => []);
    for (const cp of rows.companyPersons) companyPersons[personBatch.get(cp.person_id)!]!.push(cp);

    const started = performance.now();
    for (let b = 0; b < batches; b++) {
      const p = persons[b]!;
      const cp = companyPersons[b]!;
      await to.begin(async (tx) => {
        if (shape === 'copy') {
          if (p.length > 0) await copyRows(tx, 'person', ['gsid', 'email', 'first_name', 'last_name'], p.map((r) => [r.gsid, r.email, r.first_name, r.last_name]));
          if (cp.length > 0) await copyRows(tx, 'company_person', ['gsid', 'person_id', 'company_id', 'sign_up_date', 'px_user_id'], cp.map((r) => [r.gsid, r.person_id, r.company_id, r.sign_up_date, r.px_user_id]));
          return;
        }
        if (p.length > 0) {
          await tx`insert into person (gsid, email, first_name, last_name)
            select u.c0, u.c1::text, u.c2::text, u.c3::text
            from unnest(${text(p.map((r) => r.gsid))}::text[], ${text(p.map((r) => r.email))}::text[],
              ${text(p.map((r) => r.first_name))}::text[], ${text(p.map((r) => r.last_name))}::text[]) as u(c0, c1, c2, c3)`;
        }
        if (cp.length > 0) {
          await tx`insert into company_person (gsid, person_id, company_id, sign_up_date, px_user_id)
            select u.c0, u.c1::text, u.c2::text, u.c3::timestamptz, u.c4::text
            from unnest(${text(cp.map((r) => r.gsid))}::text[], ${text(cp.map((r) => r.person_id))}::text[],
              ${text(cp.map((r) => r.company_id))}::text[], ${text(cp.map((r) => r.sign_up_date))}::text[],
              ${text(cp.map((r) => r.px_user_id))}::text[]) as u(c0, c1, c2, c3, c4)`;
        }
      });
    }
    return { ms: performance.now() - started, persons: rows.persons.length, companyPersons: rows.companyPersons.length };
  } finally {
    await source.close();
    await target.close();
  }
}

/** COPY's text format: tab-separated, \N for null, backslash escapes for backslash, tab and line ends. */
const copyField = (value: string | null) => (value === null ? '\\N' : value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!));

async function copyRows(tx: postgres.TransactionSql, table: string, columns: string[], rows: (string | null)[][]): Promise<void> {
  const text = rows.map((row) => row.map(copyField).join('\t')).join('\n') + '\n';
  const writable = await tx`copy ${tx(table)} (${tx(columns)}) from stdin`.writable();
  await pipeline(Readable.from([text]), writable);
}

/** One connection whose socket has TCP_NODELAY (postgres.js documents the `socket` option; its types omit it). */
function openNoDelay(url: string): { sql: Sql; close(): Promise<void> } {
  const options = { max: 1, onnotice: () => undefined, socket: () => noDelaySocket(new URL(url)) };
  const sql = postgres(url, options as postgres.Options<Record<string, postgres.PostgresType>>) as unknown as Sql;
  return { sql, close: () => sql.end({ timeout: 5 }) };
}

function noDelaySocket(url: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port || 5432), url.hostname);
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}
