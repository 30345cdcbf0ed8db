// Child processes of a benchmark or chaos run: spawned with tsx's loader in the node process itself
// (so the pid is the program's own, for SIGKILL and /proc), their output kept for when they fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last lines the child printed. */
  output(): string;
  /** Resolves with the first line that matches, or rejects when the child exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited(): boolean;
  /** Resolves with the exit code once the child ends by itself (null after a signal); rejects after `timeoutMs`. */
  ended(timeoutMs: number): Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function spawnTs(script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  return spawnNode(['--import', 'tsx', join(ROOT, script)], env, nodeArgs);
}

/** `node <nodeArgs> <args>`, e.g. a compiled program. */
export function spawnNode(args: string[], env: Record<string, string>, nodeArgs: string[] = []): Child {
  return spawnProgram(process.execPath, [...nodeArgs, ...args], env, args[args.length - 1] ?? 'node');
}

/** Any program, e.g. a Python interpreter; `name` is what errors call it. */
export function spawnProgram(command: string, args: string[], env: Record<string, string>, name = command): Child {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      for (const watcher of [...watchers]) {
        if (watcher.pattern.test(line)) {
          watchers.splice(watchers.indexOf(watcher), 1);
          watcher.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const output = () => lines.join('\n');
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid,
    process: child,
    output,
    exited,
    waitFor(pattern, timeoutMs) {
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
        watchers.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void gone.then(() => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${output()}`));
        });
      });
    },
    ended(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not end within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
        void gone.then(() => {
          clearTimeout(timer);
          resolve(child.exitCode);
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (exited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
    async kill(signal) {
      if (exited()) return;
      child.kill(signal);
      await gone;
    },
  };
}

/** The peak resident set of a live process (VmHWM), in MiB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) / 1024;
}
