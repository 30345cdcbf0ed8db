// Records are generated on demand from (seed, index), so randomness must be a pure function of
// them: a stateless 32-bit hash to pick a stream, and mulberry32 to draw from it.

/** A well-mixed 32-bit hash of (seed, index, salt); different salts give independent streams. */
export function hash32(seed: number, index: number, salt: number): number {
  let h = (seed ^ Math.imul(index, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  h = Math.imul(h ^ (h >>> 15), 0x7feb352d);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform number in [0, 1) from the hash of (seed, index, salt). */
export function unit(seed: number, index: number, salt: number): number {
  return hash32(seed, index, salt) / 4294967296;
}

/** mulberry32: tiny and fast, good enough for test data. */
export class Rng {
  private state: number;

  constructor(state: number) {
    this.state = state >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
}
