// Reading JSON requests and writing JSON answers with node:http, which is all the simulator needs
// and keeps a thousand pages of a thousand users fast.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, errorBody, SimulatorHttpError } from './http-error.js';

export interface SimResponse {
  status: number;
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

const MAX_BODY_BYTES = 1 << 20;

export function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

export function errorResponse(error: SimulatorHttpError): SimResponse {
  return { status: error.status, body: errorBody(error.status, error.message), headers: error.headers };
}

export function send(res: ServerResponse, response: SimResponse): void {
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The parsed JSON body; an empty body reads as `{}`. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new SimulatorHttpError(413, 'Request body too large');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`Request body is not JSON: ${(error as Error).message}`);
  }
}
