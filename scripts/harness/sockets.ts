// Which PostgreSQL backends serve a given process: the local ports of its sockets to PostgreSQL,
// read from /proc, matched against pg_stat_activity.client_port. Lets chaos cut the worker's
// connections and no one else's.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Local TCP ports of the sockets process `pid` holds open to `remotePort`. The remote port
 * matters: Linux reuses a local port for connections to different destinations.
 */
export function localPortsOf(pid: number, remotePort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch (error) {
      // A descriptor closed between listing and reading is simply no longer one of its sockets.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1];
      const remote = columns[2];
      const inode = columns[9];
      if (local === undefined || remote === undefined || inode === undefined || !inodes.has(inode)) continue;
      if (parseInt(remote.split(':').pop()!, 16) !== remotePort) continue;
      ports.push(parseInt(local.split(':').pop()!, 16));
    }
  }
  return ports;
}
