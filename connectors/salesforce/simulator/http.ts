// The simulator's answers: Salesforce's REST error shape (a JSON array of { message, errorCode }),
// OAuth's ({ error, error_description }), CSV for Bulk API results, redirects for the authorize
// page. One place so that every answer of a kind has one shape.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SimResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const MAX_BODY_BYTES = 1 << 20;

export class SimHttpError extends Error {
  constructor(readonly response: SimResponse) {
    super(`${response.status} ${response.body.slice(0, 200)}`);
  }
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): SimResponse => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json;charset=UTF-8', ...headers },
});

/** A REST API error: `[{ "message": ..., "errorCode": ... }]`. */
export const apiError = (status: number, errorCode: string, message: string, headers: Record<string, string> = {}): SimHttpError =>
  new SimHttpError(json(status, [{ message, errorCode }], headers));

/** An OAuth token endpoint error: `{ "error": ..., "error_description": ... }`, 400 unless said. */
export const oauthError = (error: string, description: string, status = 400): SimHttpError =>
  new SimHttpError(json(status, { error, error_description: description }));

export const csv = (body: string, headers: Record<string, string>): SimResponse => ({ status: 200, body, headers: { 'content-type': 'text/csv', ...headers } });

export const redirect = (location: string): SimResponse => ({ status: 302, body: '', headers: { location } });

export const page = (status: number, title: string, text: string): SimResponse => ({
  status,
  body: `<!doctype html><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`,
  headers: { 'content-type': 'text/html;charset=UTF-8' },
});

export function send(res: ServerResponse, response: SimResponse): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw apiError(413, 'REQUEST_TOO_LARGE', 'Request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A form body (`application/x-www-form-urlencoded`), as the OAuth endpoints take. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req));
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).trim();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw apiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw apiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
