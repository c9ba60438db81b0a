// Which process listens on a host port (Linux): the kernel's socket tables name each socket's
// inode, and a process's fd links name the inodes it holds. A plain bind test cannot tell passt's
// listener from another program's, nor from a UDP flow socket passt keeps bound for a while after
// its forward went (SO_REUSEADDR): only a TCP LISTEN or an unconnected UDP socket counts here.
import fs from 'node:fs';

type Protocol = 'tcp' | 'udp';

/** The kernel's "0100007F:1F90" for 127.0.0.1:8080 (the address in the host's byte order). */
export function procAddress(ip: string, port: number): string {
  const octets = ip.split('.').map(Number);
  const le = octets.reverse().map((o) => o.toString(16).padStart(2, '0'));
  return `${le.join('')}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

/** Inodes of the listening sockets on ip:port in one /proc/net/{tcp,udp} table. */
export function listeningInodes(table: string, protocol: Protocol, ip: string, port: number): Set<string> {
  const local = procAddress(ip, port);
  const state = protocol === 'tcp' ? '0A' : '07'; // LISTEN; UDP's unconnected "close" state
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local rem st queues tr retrnsmt uid timeout inode
    if (f[1] === local && f[2] === '00000000:0000' && f[3] === state && f[9] && f[9] !== '0') inodes.add(f[9]);
  }
  return inodes;
}

/**
 * Whether process `pid` holds a listening socket on ip:port: true or false, or undefined when this
 * process may not look (another user's process, or one that made itself undumpable).
 */
export function processListens(pid: number, protocol: Protocol, ip: string, port: number): boolean | undefined {
  let inodes: Set<string>;
  let fds: string[];
  try {
    inodes = listeningInodes(fs.readFileSync(`/proc/${pid}/net/${protocol}`, 'utf8'), protocol, ip, port);
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  if (inodes.size === 0) return false;
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] && inodes.has(m[1])) return true;
    } catch {
      /* closed while listed */
    }
  }
  return false;
}
