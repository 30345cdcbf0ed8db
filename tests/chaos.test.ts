// The chaos suite at a size CI affords: a Company Person Sync survives a killed worker (twice, at
// random pages), a source outage, 429 storms, its database connections cut, its PostgreSQL server
// crashed and restarted, and Temporal restarted, and each time lands every user exactly once with
// exact counts and the right watermark; and poisoned data (PX records and a CSV upload carrying
// values no column can hold, an oversized line, a quote never closed) fails exactly those records,
// within two minutes, and nothing else.
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runToEnd } from './support/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const runChaos = (args: string[]) => runToEnd(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', ...args], { cwd: root });

it('every fault of the chaos suite leaves the target exactly equal to the source', async () => {
  // Each chaos run makes a PostgreSQL server of its own, so this one never meets one started by hand.
  const { code, output } = await runChaos(['--users', '5000', '--quick']);
  expect(output).toMatch(/worker killed with SIGKILL mid-run, trial 2 of 2/);
  expect(output).toMatch(/Temporal dev server stopped after \d+ pages and back/);
  expect(output).toMatch(/PostgreSQL stopped as by a crash after \d+ pages, started again/);
  expect(output).toMatch(/scenario: poison: PX accounts and users[\s\S]*ok {3}each poisoned record failed with a reason naming its field/);
  expect(output).toMatch(/scenario: poison: a Bulk API upload[\s\S]*ok {3}the errors file lists exactly the \d+ poisoned lines/);
  expect(output, output).not.toMatch(/FAIL/);
  expect(code, output).toBe(0);
}, 600_000);
