// The CSV reader on its own: records know their lines and byte offsets, text and bytes read alike,
// and what is too large or never closed is one entry, after which the file goes on.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES, readCsv, type CsvEntry } from '../connectors/files/csv.js';

async function entries(chunks: (string | Buffer)[]): Promise<CsvEntry[]> {
  const read: CsvEntry[] = [];
  for await (const entry of readCsv(Readable.from(chunks), 'comma')) read.push(entry);
  return read;
}

/** The file cut into pieces of `size` bytes, as a network would hand it over. */
const pieces = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
};

describe('reading CSV', () => {
  const file = 'a,b\r\n1,"x\r\ny"\r\n\r\n2,é\r\n3,last';

  it('reads text and bytes alike, whatever the chunks, with lines and byte offsets', async () => {
    const whole = await entries([Buffer.from(file)]);
    expect(whole.map((e) => [e.line, e.endLine, e.fields])).toEqual([
      [1, 1, ['a', 'b']],
      [2, 3, ['1', 'x\r\ny']],
      [5, 5, ['2', 'é']],
      [6, 6, ['3', 'last']],
    ]);
    expect(whole.at(-1)!.end).toBe(Buffer.byteLength(file));
    expect(await entries([file])).toEqual(whole);
    expect(await entries(pieces(file, 3))).toEqual(whole);
  });

  it('a record over the bound is one entry; the lines after it are read on their own', async () => {
    const big = `a,b\n1,ok\n2,${'x'.repeat(MAX_RECORD_BYTES + 1)}\n3,ok\n`;
    for (const chunks of [[big], pieces(big, 64 * 1024)]) {
      const read = await entries(chunks);
      expect(read.map((e) => [e.line, e.fields?.[0] ?? null, e.problem?.slice(0, 40) ?? null])).toEqual([
        [1, 'a', null],
        [2, '1', null],
        [3, null, 'the record starting on this line is long'],
        [4, '3', null],
      ]);
      expect(read[2]!.end).toBe(Buffer.byteLength(big) - '3,ok\n'.length);
    }
  });

  it('a quote never closed costs its own line only', async () => {
    const read = await entries(['a,b\n1,"open\n2,two\n3,three\n']);
    expect(read.map((e) => [e.line, e.fields, e.problem === null ? null : 'problem'])).toEqual([
      [1, ['a', 'b'], null],
      [2, null, 'problem'],
      [3, ['2', 'two'], null],
      [4, ['3', 'three'], null],
    ]);
  });
});
