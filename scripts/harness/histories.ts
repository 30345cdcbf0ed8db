// What a run leaves in Temporal: events per history and the size of every payload in it. Record
// data must never be there, so the largest payload says whether it stayed out.
import type { TemporalContext } from '../../temporal/context.js';

export interface HistoryFigures {
  workflowId: string;
  runId: string;
  events: number;
  payloads: number;
  maxPayloadBytes: number;
  totalPayloadBytes: number;
}

interface PayloadLike {
  data?: Uint8Array | null;
  metadata?: Record<string, Uint8Array> | null;
}

const isPayload = (value: object): value is PayloadLike =>
  'data' in value && 'metadata' in value && (value as PayloadLike).data instanceof Uint8Array;

const payloadBytes = (payload: PayloadLike): number =>
  (payload.data?.length ?? 0) + Object.entries(payload.metadata ?? {}).reduce((sum, [key, value]) => sum + key.length + value.length, 0);

function walk(value: unknown, visit: (payload: PayloadLike) => void, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array || seen.has(value)) return;
  seen.add(value);
  if (isPayload(value)) {
    visit(value);
    return;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child, visit, seen);
}

/** Every execution (continued-as-new ones too) whose workflow id starts with one of `prefixes`. */
export async function measureHistories(temporal: TemporalContext, prefixes: string[]): Promise<HistoryFigures[]> {
  const figures: HistoryFigures[] = [];
  for await (const execution of temporal.client.workflow.list()) {
    if (!prefixes.some((prefix) => execution.workflowId.startsWith(prefix))) continue;
    const history = await temporal.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    let payloads = 0;
    let maxPayloadBytes = 0;
    let totalPayloadBytes = 0;
    walk(history.events ?? [], (payload) => {
      const bytes = payloadBytes(payload);
      payloads++;
      totalPayloadBytes += bytes;
      maxPayloadBytes = Math.max(maxPayloadBytes, bytes);
    }, new Set());
    figures.push({ workflowId: execution.workflowId, runId: execution.runId, events: history.events?.length ?? 0, payloads, maxPayloadBytes, totalPayloadBytes });
  }
  return figures;
}
