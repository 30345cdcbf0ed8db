// Every page's values reach PostgreSQL as text[] literals the engine writes itself (activities/sql.ts):
// whatever a source sends must come back out of the array exactly as it went in.
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { textArray } from '../activities/sql.js';
import { ADMIN_URL } from './support/databases.js';

describe('text arrays as the engine sends them', () => {
  const database = openDatabase(ADMIN_URL, { max: 1 });
  afterAll(() => database.close());

  it('keeps quotes, backslashes, separators, blanks, the text NULL and empty strings, and nulls as nulls', async () => {
    const values = ['plain', 'with "quotes"', 'back\\slash', '\\"', 'a,b', '{braces}', ' padded ', 'NULL', 'null', '', null, 'line\nbreak', 'tab\tend', 'Zoë 名前 🙂', "it's"];
    const rows = await database.sql<{ value: string | null; n: string }[]>`
      select value, n from unnest(${textArray(values)}::text[]) with ordinality as u(value, n) order by n`;
    expect(rows.map((r) => r.value)).toEqual(values);
  });

  it('sends an empty list as an empty array', async () => {
    const [row] = await database.sql<{ n: number }[]>`select cardinality(${textArray([])}::text[]) as n`;
    expect(row!.n).toBe(0);
  });
});
