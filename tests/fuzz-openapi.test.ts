// Bad input at scale: schemathesis derives requests (valid and invalid) from /openapi.json and
// sends them to the API on a real port. No answer may be a server error, and every answer must
// match the schema the API itself publishes for it.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, startStack, type Stack } from './support/stack.js';
import { chooseAccountIdKey, connectPx, importNow } from './support/px-flow.js';
import { runToEnd } from './support/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ST = `${root}.tools/schemathesis/bin/st`;

let stack: Stack;
let base: string;
let config: string;

/**
 * Requests to a path with an id reach past "not found" only with an id that exists: these give
 * every such operation but the deletions (which would leave the rest nothing to work on) one.
 */
function knownIds(ids: { connection: string; job: string; run: string }): string {
  const block = (pathRegex: string, name: string, value: string) =>
    [
      '[[operations]]',
      `include-path-regex = ${JSON.stringify(pathRegex)}`,
      'exclude-method = "DELETE"',
      `parameters = { "path.${name}" = ${JSON.stringify(value)} }`,
      '',
    ].join('\n');
  return [
    block('^/v1/connections/\\{id\\}', 'id', ids.connection),
    block('^/v1/jobs/\\{id\\}', 'id', ids.job),
    block('^/v1/runs/\\{id\\}', 'id', ids.run),
    block('^/v1/objects/\\{object\\}', 'object', 'company'),
  ].join('\n');
}

beforeAll(async () => {
  stack = await startStack({ px: { accounts: 20, users: 100, seed: 3 } });
  // A connection, its jobs and a finished run exist, so requests naming them reach the routes' logic.
  const { connectionId, companySync } = await connectPx(stack);
  await chooseAccountIdKey(stack, companySync);
  const run = await importNow(stack, companySync.id);
  const dir = await mkdtemp(join(tmpdir(), 'syncline-fuzz-'));
  config = join(dir, 'schemathesis.toml');
  await writeFile(config, knownIds({ connection: connectionId, job: companySync.id, run: run.id }));
  await stack.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => stack?.stop());

const schemathesis = (args: string[]) => runToEnd(ST, args, { cwd: root, env: { ...process.env, NO_COLOR: '1', COLUMNS: '160' } });

it('generated requests, valid and invalid, never meet a server error or an answer outside the schema', async () => {
  expect(existsSync(ST), 'schemathesis is missing: run `npm run setup`').toBe(true);
  const { code, output } = await schemathesis([
    '--config-file', config,
    'run', `${base}/openapi.json`,
    '--checks', 'not_a_server_error,response_schema_conformance',
    '-H', `Authorization: Bearer ${ADMIN_TOKEN}`,
    '--max-examples', '10',
    '--phases', 'examples,coverage,fuzzing',
    '--seed', '20251122',
    '--workers', '1',
    '--max-time', '100',
    '--request-timeout', '20',
  ]);
  expect(output, output).toMatch(/Tested: \d+/);
  expect(code, output).toBe(0);
}, 300_000);
