// Signing in to the console the way a browser's form does, for tests that read its pages over HTTP.
import type { Stack } from './stack.js';

/** The origin the console's forms come from in tests (the app's PUBLIC_URL). */
export const CONSOLE_ORIGIN = 'http://syncline.test';

/** Signs in with `token` and answers the session cookie to send back (`name=value`). */
export async function consoleSession(stack: Stack, token: string): Promise<string> {
  const answer = await stack.app.inject({
    method: 'POST',
    url: '/console/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: CONSOLE_ORIGIN },
    payload: new URLSearchParams({ token }).toString(),
  });
  const cookie = [answer.headers['set-cookie'] ?? []].flat()[0];
  if (answer.statusCode !== 303 || !cookie) throw new Error(`sign-in answered ${answer.statusCode}: ${answer.body}`);
  return cookie.split(';')[0]!;
}

/** A console page as a signed-in browser gets it. */
export async function consolePage(stack: Stack, cookie: string, url: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const answer = await stack.app.inject({ method: 'GET', url, headers: { cookie } });
  return { status: answer.statusCode, body: answer.body, headers: answer.headers };
}
