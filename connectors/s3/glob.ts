// File name patterns relative to the connection's prefix, matched by picomatch: `*` and `?` stay
// within one folder, `**` as a folder of its own crosses folders (`*.csv` picks the prefix's own CSV
// files, `**/*.csv` those of every folder). Every other character stands for itself: brackets,
// braces and parentheses are escaped, so a pattern means what the README says and no more.
//
// S3 keys are the source's to choose (up to 1,024 bytes), and a glob compiled to a regular
// expression backtracks over a key that almost matches: the work grows as the key's length to the
// power of the pattern's wildcards less one (on a 1,024-character key, three `*` took 0.3 s per key
// and four took 74 s). Two keep it linear-quadratic, well under a millisecond a key.
import picomatch from 'picomatch';

export const MAX_WILDCARDS = 2;

/** Why a pattern cannot be used, or null. */
export function patternProblem(pattern: string): string | null {
  const wildcards = pattern.match(/\*+/g)?.length ?? 0;
  if (wildcards <= MAX_WILDCARDS) return null;
  return `pattern may hold at most ${MAX_WILDCARDS} * or ** (this one has ${wildcards}), since each one more makes matching long file names far slower; use ? for single characters, or a narrower prefix on the connection`;
}

export function globMatcher(pattern: string): (name: string) => boolean {
  const literal = pattern.replace(/[^A-Za-z0-9*?/]/g, '\\$&');
  return picomatch(literal, { dot: true, noextglob: true, nobrace: true, nonegate: true });
}
