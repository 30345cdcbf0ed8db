// How fast the source alone can be read: every user page by page with the connector's client and
// the connector's page size, nothing written. Bounds any run from above.
import { PxClient, PX_MAX_PAGE_SIZE } from '../../connectors/gainsight-px/client.js';
import { windowFilter } from '../../connectors/gainsight-px/pushdown.js';
import { LOOPBACK_POLICY, Outbound } from '../../services/outbound.js';

export async function readAllUsers(pxUrl: string, pxKey: string): Promise<{ ms: number; records: number }> {
  const client = new PxClient(pxUrl, pxKey, new Outbound(LOOPBACK_POLICY));
  const filters = [windowFilter({ from: new Date(0), to: new Date() })];
  const started = performance.now();
  let records = 0;
  let scrollId: string | null = null;
  for (;;) {
    const page = await client.list('users', { pageSize: PX_MAX_PAGE_SIZE, scrollId, filters });
    records += page.records.length;
    if (page.records.length < PX_MAX_PAGE_SIZE || page.scrollId === null) break;
    scrollId = page.scrollId;
  }
  return { ms: performance.now() - started, records };
}
