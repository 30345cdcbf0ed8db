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
}

export function createClient(baseUrl: string, token: string): Client {
  const root = baseUrl.replace(/\/+$/, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
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
    const text = await response.text();
    if (!response.ok) throw new CliError(describeRefusal(response.status, text));
    return (text ? JSON.parse(text) : null) as T;
  };
  return { baseUrl: root, get: (path) => call('GET', path), post: (path, body) => call('POST', path, body) };
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
