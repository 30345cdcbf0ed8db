// Reading a workflow history the way a reviewer of its payloads would: sizes as stored, and every
// string it carries, payloads decoded.
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';

type History = temporal.api.history.v1.IHistory;
type Event = temporal.api.history.v1.IHistoryEvent;

export async function historyOf(client: Client, workflowId: string): Promise<History> {
  return client.workflow.getHandle(workflowId).fetchHistory();
}

/** The largest event of the history as the server stores it, in bytes, and its type. */
export function largestEvent(history: History): { bytes: number; type: string } {
  let largest = { bytes: 0, type: 'none' };
  for (const event of history.events ?? []) {
    const bytes = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
    if (bytes > largest.bytes) largest = { bytes, type: eventType(event) };
  }
  return largest;
}

/** The largest payload's data anywhere in the history, in bytes. */
export function largestPayload(history: History): number {
  let largest = 0;
  visit(history, (value, key) => {
    if (key === 'data' && value instanceof Uint8Array) largest = Math.max(largest, value.length);
  });
  return largest;
}

/**
 * Every string the history holds: plain fields, and the string leaves of each JSON payload
 * (payload data is bytes, so a search of the history as stored would never see a record in it).
 */
export function stringsIn(history: History): Set<string> {
  const strings = new Set<string>();
  const addJson = (value: unknown): void => {
    if (typeof value === 'string') strings.add(value);
    else if (Array.isArray(value)) value.forEach(addJson);
    else if (value && typeof value === 'object') Object.values(value).forEach(addJson);
  };
  visit(history, (value, key) => {
    if (typeof value === 'string') strings.add(value);
    else if (key === 'data' && value instanceof Uint8Array) {
      const text = Buffer.from(value).toString('utf8');
      strings.add(text);
      addJson(parseJson(text));
    }
  });
  return strings;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // Not every payload is JSON (binary/null carries no data to parse): keep its text only.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function visit(node: unknown, see: (value: unknown, key: string) => void, key = ''): void {
  see(node, key);
  if (node instanceof Uint8Array || node === null || typeof node !== 'object') return;
  for (const [childKey, child] of Object.entries(node)) visit(child, see, childKey);
}

function eventType(event: Event): string {
  return temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
}
