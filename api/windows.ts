// A window [from, to) a client asks for (Import From Date, a preview): checked once, the same way.
import { badRequest } from './errors.js';

/** ISO strings as the workflows carry them; `to` null means "now, when the run starts". */
export function checkedWindow(body: { from: string; to?: string | undefined }, at = ''): { from: string; to: string | null } {
  const from = new Date(body.from);
  const to = body.to ? new Date(body.to) : null;
  if (to && to.getTime() <= from.getTime()) throw badRequest('to must be later than from', [{ path: `${at}/to`, message: `must be later than from (${from.toISOString()})` }]);
  if (from.getTime() > Date.now()) throw badRequest('from is in the future; nothing could have changed there yet', [{ path: `${at}/from`, message: 'must not be in the future' }]);
  // Year 0 (1 BC) and before cannot be stored; every year from 1 to 9999 round-trips exactly.
  if (from.getUTCFullYear() < 1) throw badRequest('from is before the year 1; use a time from 0001-01-01T00:00:00Z on', [{ path: `${at}/from`, message: 'must be in the year 1 or later (UTC)' }]);
  return { from: from.toISOString(), to: to?.toISOString() ?? null };
}
