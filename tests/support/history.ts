// Reading a workflow history the way a reviewer of its payloads would: sizes as stored, and every
// string it carries, payloads decoded.
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';

// A CommonJS module: Node's ESM loader (under tsx) sees only its default export.
const { temporal } = proto;

type History = proto.temporal.api.history.v1.IHistory;
type Event = proto.temporal.api.history.v1.IHistoryEvent;

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

/**
 * A history as the JSON text kept in tests/histories. protobufjs's own JSON form of the message
 * (enums by name, 64-bit numbers and bytes as strings), written and read by the same proto
 * package: @temporalio/common's historyToJSON/historyFromJSON fail in this install ("type must be
 * a Type") because it and @temporalio/proto each get a copy of protobufjs 8 under the root's 7.
 */
export function historyToText(history: History): string {
  return `${JSON.stringify(temporal.api.history.v1.History.fromObject(history).toJSON(), null, 1)}\n`;
}

export function historyFromText(text: string): History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(text) as Record<string, unknown>);
}

/** Every string and every payload byte string in a value, decoded, so base64 or bytes hide nothing. */
export function readable(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const item of value) readable(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) readable(item, out);
  return out;
}
