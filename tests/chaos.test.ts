// The chaos suite at a size CI affords: a Company Person Sync survives a killed worker (twice, at
// random pages), a source outage, 429 storms, its database connections cut, its PostgreSQL server
// crashed and restarted, and Temporal restarted, and each time lands every user exactly once with
// exact counts and the right watermark.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function runChaos(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

it('every fault of the chaos suite leaves the target exactly equal to the source', async () => {
  // A database of its own: a chaos run started by hand must not lose its database to this one.
  const { code, output } = await runChaos(['--users', '5000', '--quick', '--database', `syncline_chaos_${randomBytes(4).toString('hex')}`]);
  expect(output).toMatch(/worker killed with SIGKILL mid-run, trial 2 of 2/);
  expect(output).toMatch(/Temporal dev server stopped after \d+ pages and back/);
  expect(output).toMatch(/PostgreSQL stopped as by a crash after \d+ pages, started again/);
  expect(output, output).not.toMatch(/FAIL/);
  expect(code, output).toBe(0);
}, 600_000);
