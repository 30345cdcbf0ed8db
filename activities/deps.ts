import type { TemporalContext } from '../temporal/context.js';
import type { Database } from '../db/client.js';
import type { SecretBox } from '../services/secrets.js';
import type { Notifier } from '../services/notifier.js';
import type { Outbound } from '../services/outbound.js';

/** What activities need from the outside world, handed in so tests can use real parts of their own. */
export interface ActivityDeps {
  database: Database;
  secrets: SecretBox;
  temporal: TemporalContext;
  notifier: Notifier;
  /** The outbound-request policy every connector's HTTP goes through. */
  outbound: Outbound;
  /** Overrides the connector's page size (benchmarks and tests). */
  pageSize?: number;
}
