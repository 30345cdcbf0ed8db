// The database's own ceiling: the rows a Company Person Sync wrote, written again into a fresh
// database with the engine's statement shape (INSERT … SELECT FROM unnest of text arrays, cast per
// column) in transactions of 1,000 source records, with no fetching and no mapping.
import type postgres from 'postgres';
import { openDatabase, type Sql } from '../../db/client.js';

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

const text = (sql: Pick<Sql, 'array'> | postgres.TransactionSql, values: (string | number | null)[]) => sql.array(values.map((v) => (v === null ? null : String(v))) as string[], 25);

/** Writes the rows `from` holds into `to` batch by batch; answers the milliseconds the writes took. */
export async function measureCeiling(fromUrl: string, toUrl: string, records: number, batch = 1000): Promise<{ ms: number; persons: number; companyPersons: number }> {
  // Opened as the engine opens it, so values are bound exactly as in a run.
  const source = openDatabase(fromUrl, { max: 1 });
  const target = openDatabase(toUrl, { max: 1 });
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
      from unnest(${text(to, c.map((r) => r.gsid))}::text[], ${text(to, c.map((r) => r.name))}::text[],
        ${text(to, c.map((r) => r.px_account_id))}::text[], ${text(to, c.map((r) => r.number_of_users))}::text[]) as u(c0, c1, c2, c3)`;
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
        if (p.length > 0) {
          await tx`insert into person (gsid, email, first_name, last_name)
            select u.c0, u.c1::text, u.c2::text, u.c3::text
            from unnest(${text(tx, p.map((r) => r.gsid))}::text[], ${text(tx, p.map((r) => r.email))}::text[],
              ${text(tx, p.map((r) => r.first_name))}::text[], ${text(tx, p.map((r) => r.last_name))}::text[]) as u(c0, c1, c2, c3)`;
        }
        if (cp.length > 0) {
          await tx`insert into company_person (gsid, person_id, company_id, sign_up_date, px_user_id)
            select u.c0, u.c1::text, u.c2::text, u.c3::timestamptz, u.c4::text
            from unnest(${text(tx, cp.map((r) => r.gsid))}::text[], ${text(tx, cp.map((r) => r.person_id))}::text[],
              ${text(tx, cp.map((r) => r.company_id))}::text[], ${text(tx, cp.map((r) => r.sign_up_date))}::text[],
              ${text(tx, cp.map((r) => r.px_user_id))}::text[]) as u(c0, c1, c2, c3, c4)`;
        }
      });
    }
    return { ms: performance.now() - started, persons: rows.persons.length, companyPersons: rows.companyPersons.length };
  } finally {
    await source.close();
    await target.close();
  }
}
