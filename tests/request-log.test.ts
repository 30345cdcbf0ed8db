// The API's log: one structured line per request (its id, route, status, time and who asked) and
// nothing a client sent as a credential.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { ADMIN_TOKEN, VIEWER_TOKEN, startStack, type Stack } from './support/stack.js';
import { CONSOLE_ORIGIN } from './support/console.js';

describe('the request log', () => {
  let stack: Stack;
  let app: FastifyInstance;
  const output: string[] = [];
  const lines = () =>
    output
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    stack = await startStack({ px: false, worker: false });
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    app = await buildApp(
      { database: stack.database, temporal: stack.temporal, secrets: stack.secrets, outbound: stack.outbound, tokens: [{ name: 'alice', token: ADMIN_TOKEN, role: 'admin' }, { name: 'victor', token: VIEWER_TOKEN, role: 'viewer' }], publicUrl: CONSOLE_ORIGIN },
      { logStream: stream },
    );
  });
  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  it('writes one line per request with its id, route, URL, status, time and who asked, and never a token or a session cookie', async () => {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const listed = await app.inject({ method: 'GET', url: '/v1/jobs?limit=5', headers: bearer(ADMIN_TOKEN) });
    const refused = await app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer('not-a-token') });
    const missing = await app.inject({ method: 'GET', url: '/v1/runs/job_nope-1', headers: bearer(VIEWER_TOKEN) });
    const login = await app.inject({ method: 'POST', url: '/console/login', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: CONSOLE_ORIGIN }, payload: `token=${ADMIN_TOKEN}` });
    const cookie = String([login.headers['set-cookie']].flat()[0]).split(';')[0]!;
    const page = await app.inject({ method: 'GET', url: '/console/connections', headers: { cookie } });
    expect([listed.statusCode, refused.statusCode, missing.statusCode, login.statusCode, page.statusCode]).toEqual([200, 401, 404, 303, 200]);

    const logged = lines().filter((line) => line.msg === 'request');
    expect(logged.map((line) => [line.method, line.route, line.url, line.status, line.actor])).toEqual([
      ['GET', '/v1/jobs', '/v1/jobs?limit=5', 200, 'alice'],
      ['GET', '/v1/jobs', '/v1/jobs', 401, null],
      ['GET', '/v1/runs/:id', '/v1/runs/job_nope-1', 404, 'victor'],
      ['POST', '/console/login', '/console/login', 303, null],
      ['GET', '/console/connections', '/console/connections', 200, 'alice'],
    ]);
    for (const line of logged) {
      expect(line).toMatchObject({ level: 30, reqId: expect.any(String) });
      expect(typeof line.ms).toBe('number');
    }
    expect(new Set(logged.map((line) => line.reqId)).size).toBe(logged.length);
    // Nothing else about a request is logged, and nothing secret at all.
    expect(lines().filter((line) => line.msg !== 'request' && line.msg !== 'console sign-in')).toEqual([]);
    const everything = output.join('');
    for (const secret of [ADMIN_TOKEN, VIEWER_TOKEN, 'not-a-token', cookie.split('=')[1]!]) expect(everything).not.toContain(secret);
  });
});
