// A PostgreSQL server of the chaos run's own: its own data directory and port, made with the
// machine's PostgreSQL programs (initdb, pg_ctl), so that the run can stop it as a crash would and
// start it again without touching the server everything else on the machine uses.
// Run as root (as CI is), the server runs as the `postgres` user, which PostgreSQL insists on.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const exec = promisify(execFile);

export interface PrivatePostgres {
  /** The server's `postgres` database, from which a run's databases are made. */
  adminUrl: string;
  /** Stops the server at once, without a shutdown checkpoint (as a crash would), and after `downMs` starts it again: it recovers from its WAL. */
  crashAndRestart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function binDir(): Promise<string> {
  const { stdout } = await exec('pg_config', ['--bindir']).catch((error: unknown) => {
    throw new Error(`pg_config was not found (${String(error)}): the chaos run needs the PostgreSQL server programs (initdb, pg_ctl), e.g. Debian's postgresql package`);
  });
  return stdout.trim();
}

export async function startPrivatePostgres(log: (line: string) => void): Promise<PrivatePostgres> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'syncline-postgres-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await exec('id', ['-u', 'postgres']);
    const { stdout: gid } = await exec('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const run = (program: string, args: string[]) => (asRoot ? exec('runuser', ['-u', 'postgres', '--', join(bin, program), ...args]) : exec(join(bin, program), args));
  const port = await freePort();
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
  try {
    await run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-instructions']);
    await start();
  } catch (error) {
    const serverLog = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '(no server log)');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the chaos run's own PostgreSQL did not start: ${String(error)}\n${serverLog.slice(-2000)}`);
  }
  log(`PostgreSQL of this run's own on 127.0.0.1:${port} (data in ${data})`);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async crashAndRestart(downMs) {
      await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async stop() {
      await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
