// CPU time by part of the stack, from /proc: what each process spent while a run went on. With
// the machine's cores and the run's wall time it says what bounds the run: a part that used a
// whole core, or the machine as a whole.
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

export interface CpuParts {
  worker: number;
  simulator: number;
  /** Every PostgreSQL process: backends, WAL writer, checkpointer, autovacuum, and those that ended meanwhile. */
  postgres: number;
  temporal: number;
  /** The benchmark's own process: the API and the polling of the run. */
  api: number;
}

/**
 * A process's user and system ticks; with `reaped`, also those of its children that ended and
 * that it waited for (cutime, cstime): a server's connections that close during a run (a peer's,
 * a parallel query's workers) took their CPU with them otherwise.
 */
function ticksOf(pid: number | string, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0);
  } catch (error) {
    // A process that ended between listing /proc and reading it has nothing more to count.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return 0;
    throw error;
  }
}

function commOf(pid: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Seconds of CPU one process has used so far. */
export function processCpuSeconds(pid: number): number {
  return ticksOf(pid) / TICKS_PER_SECOND;
}

/**
 * Seconds of CPU so far of every PostgreSQL and every Temporal process, found by command name,
 * with the children they reaped: PostgreSQL's postmaster reaps each backend that ends.
 */
export function serverCpuSeconds(): { postgres: number; temporal: number } {
  let postgres = 0;
  let temporal = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const comm = commOf(pid);
    if (comm === 'postgres') postgres += ticksOf(pid, true);
    else if (comm === 'temporal') temporal += ticksOf(pid, true);
  }
  return { postgres: postgres / TICKS_PER_SECOND, temporal: temporal / TICKS_PER_SECOND };
}

/** Seconds of CPU so far; the servers by command name (postgres, temporal), the rest by pid. */
export function cpuSeconds(pids: { worker: number; simulator: number }): CpuParts {
  return {
    worker: ticksOf(pids.worker) / TICKS_PER_SECOND,
    simulator: ticksOf(pids.simulator) / TICKS_PER_SECOND,
    ...serverCpuSeconds(),
    api: ticksOf(process.pid) / TICKS_PER_SECOND,
  };
}

export function cpuBetween(before: CpuParts, after: CpuParts): CpuParts {
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    worker: round(after.worker - before.worker),
    simulator: round(after.simulator - before.simulator),
    postgres: round(after.postgres - before.postgres),
    temporal: round(after.temporal - before.temporal),
    api: round(after.api - before.api),
  };
}
