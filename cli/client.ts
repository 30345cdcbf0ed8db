// The CLI's view of the REST API: a bearer token, JSON in and out, and the API's own error message
// when a call is refused.

export interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: { path: string; message: string }[] };
}

export class CliError extends Error {
  constructor(
    message: string,
    /** 2: the command line was wrong; 1: the call failed. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface Client {
  baseUrl: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** A body as it arrives (a CSV download), chunk by chunk as text. */
  stream(path: string): Promise<AsyncIterable<string>>;
}

export function createClient(baseUrl: string, token: string): Client {
  const root = baseUrl.replace(/\/+$/, '');
  const send = async (method: string, path: string, body?: unknown): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(`${root}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new CliError(`Could not reach Syncline at ${root}${cause}. Check SYNCLINE_URL.`);
    }
    if (!response.ok) throw new CliError(describeRefusal(response.status, await response.text()));
    return response;
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const text = await (await send(method, path, body)).text();
    return (text ? JSON.parse(text) : null) as T;
  };
  const stream = async (path: string): Promise<AsyncIterable<string>> => {
    const response = await send('GET', path);
    const body = response.body;
    return (async function* () {
      if (!body) return;
      const decoder = new TextDecoder();
      for await (const chunk of body) yield decoder.decode(chunk as Uint8Array, { stream: true });
      const rest = decoder.decode();
      if (rest) yield rest;
    })();
  };
  return { baseUrl: root, get: (path) => call('GET', path), post: (path, body) => call('POST', path, body), stream };
}

function describeRefusal(status: number, text: string): string {
  let body: ApiErrorBody = {};
  try {
    body = JSON.parse(text) as ApiErrorBody;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return `Syncline answered ${status}: ${text.slice(0, 200)}`;
  }
  const details = (body.error?.details ?? []).map((d) => `\n  ${d.path}: ${d.message}`).join('');
  return `${body.error?.message ?? `Syncline answered ${status}`} (${status}${body.error?.code ? ` ${body.error.code}` : ''})${details}`;
}
