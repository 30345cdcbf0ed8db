import { describe, expect, it } from 'vitest';
import { newGsid } from '../sync/gsid.js';

describe('GSIDs of new records', () => {
  const ids = Array.from({ length: 5000 }, () => newGsid());

  it('are distinct, also past the refill of their pool of random bytes', () => {
    expect(new Set(ids).size).toBe(ids.length);
    // The pool holds 1,024 ids' worth; the random tails differ across refills too.
    expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(ids.length);
  });

  it('are UUIDs of version 7 whose leading timestamp never goes back', () => {
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const times = ids.map((id) => parseInt(id.replace(/-/g, '').slice(0, 12), 16));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(Math.abs(times.at(-1)! - Date.now())).toBeLessThan(60_000);
  });
});
