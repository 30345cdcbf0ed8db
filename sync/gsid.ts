// GSIDs for new records: UUID version 7, time-ordered, so that consecutive inserts land at the
// right edge of an object's primary-key index rather than on random pages of it (see README,
// Performance). The random part comes from a pool filled 16 KiB at a time: asking the system for
// 16 bytes per record cost more CPU than everything else the engine does for a page.
import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const UUID_BYTES = 16;
const pool = new Uint8Array(UUID_BYTES * 1024);
let used = pool.length;

export function newGsid(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const random = pool.subarray(used, used + UUID_BYTES);
  used += UUID_BYTES;
  return v7({ random });
}
