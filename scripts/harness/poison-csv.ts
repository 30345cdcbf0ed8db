// A CSV for the chaos suite's poison scenario: accounts, some lines of which carry what no column
// holds or no parser reads (a NUL, a whole number beyond an integer, a name too long for its index,
// a line over the record bound, a quote never closed). Which lines, and why, is known up front.
import { MAX_RECORD_BYTES } from '../../connectors/files/csv.js';

export interface PoisonCsv {
  text: string;
  /** Account id → name, of every line that must land. */
  good: Map<string, string>;
  /** File line → a pattern its failure's reason must match. */
  bad: Map<number, RegExp>;
}

const KINDS: { make: (id: string) => string; reason: RegExp }[] = [
  { make: (id) => `${id},Nul\u0000Name,5`, reason: /NUL character/ },
  { make: (id) => `${id},Too Many,3000000000`, reason: /from -2147483648 to 2147483647/ },
  { make: (id) => `${id},${'n'.repeat(3000)},5`, reason: /indexed and holds at most 2000 bytes/ },
  { make: (id) => `${id},${'x'.repeat(MAX_RECORD_BYTES + 1)},5`, reason: /longer than 1 MB/ },
  { make: (id) => `${id},"Never closed,5`, reason: /never closed/ },
];

/** `rows` data lines after the header; every `every`-th is poisoned, the kinds in turn. */
export function poisonCsv(rows: number, every: number): PoisonCsv {
  const lines = ['Account Id,Name,Employees'];
  const good = new Map<string, string>();
  const bad = new Map<number, RegExp>();
  for (let i = 1; i <= rows; i++) {
    const id = `csv-${i}`;
    if (i % every === 0) {
      const kind = KINDS[(i / every - 1) % KINDS.length]!;
      lines.push(kind.make(id));
      bad.set(i + 1, kind.reason);
    } else {
      lines.push(`${id},Company ${i},${i % 1000}`);
      good.set(id, `Company ${i}`);
    }
  }
  return { text: `${lines.join('\n')}\n`, good, bad };
}
