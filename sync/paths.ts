// Dotted-path access into source records (`customAttributes.plan`, `location.coordinates.latitude`).
// Called for every mapping and filter of every record, so a path is split once and the split reused.

/** Jobs use a few dozen paths; the bound only guards against callers passing unbounded path strings. */
const MAX_CACHED_PATHS = 1000;
const segmentCache = new Map<string, readonly string[]>();

function segmentsOf(path: string): readonly string[] {
  let segments = segmentCache.get(path);
  if (segments === undefined) {
    segments = path.split('.');
    if (segmentCache.size >= MAX_CACHED_PATHS) segmentCache.clear();
    segmentCache.set(path, segments);
  }
  return segments;
}

/** Own properties only: a record must never yield `toString` or `constructor` from its prototype. */
function holds(value: unknown, key: string): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, key);
}

/** The value at `path`, or undefined when a segment is missing or a non-object is in the way. */
export function getPath(record: unknown, path: string): unknown {
  let current = record;
  for (const segment of segmentsOf(path)) {
    if (!holds(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** True when every segment of `path` exists, even if the value at its end is null or undefined. */
export function hasPath(record: unknown, path: string): boolean {
  let current = record;
  for (const segment of segmentsOf(path)) {
    if (!holds(current, segment)) return false;
    current = current[segment];
  }
  return true;
}
