// A busybox httpd in a container serving one file of the given size on a published port: what
// the throughput benchmarks download through Berth and inside the VM.
import type Docker from 'dockerode';
import { buildScratch } from '../../test/helpers/docker-ops.ts';
import { freeTcpPort } from '../../engine/host/vm-files.ts';

export interface ServedFile {
  container: Docker.Container;
  port: number;
  url: string;
  path: string;
  loopbackUrl?: string;
}

/** With `loopback`, the same server is also published on 127.0.0.1 alone (`-p 127.0.0.1:P:80`), at loopbackUrl. */
export async function serveFile(
  docker: Docker,
  mib: number,
  source: '/dev/zero' | '/dev/urandom',
  loopback = false,
): Promise<ServedFile> {
  await buildScratch(docker, 'berth-bench/busybox:1', 'bench');
  const port = await freeTcpPort();
  const loPort = loopback ? await freeTcpPort() : 0;
  const container = await docker.createContainer({
    Image: 'berth-bench/busybox:1',
    Cmd: [
      'sh',
      '-c',
      `mkdir /www && dd if=${source} of=/www/big bs=1M count=${mib} 2>/dev/null && exec httpd -f -p 80 -h /www`,
    ],
    ExposedPorts: { '80/tcp': {} },
    HostConfig: {
      PortBindings: {
        '80/tcp': [
          { HostPort: String(port) },
          ...(loopback ? [{ HostIp: '127.0.0.1', HostPort: String(loPort) }] : []),
        ],
      },
    },
  });
  await container.start();
  const url = `http://127.0.0.1:${port}/big`;
  for (
    let until = Date.now() + 180_000;
    !(await fetch(url, { method: 'HEAD' }).then(
      (r) => r.ok,
      () => false,
    ));
  ) {
    if (Date.now() > until) {
      await container.remove({ force: true });
      throw new Error('the published port never answered');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const loopbackUrl = loopback ? `http://127.0.0.1:${loPort}/big` : undefined;
  for (
    let until = Date.now() + 180_000;
    loopbackUrl &&
    !(await fetch(loopbackUrl, { method: 'HEAD' }).then(
      (r) => r.ok,
      () => false,
    ));
  ) {
    if (Date.now() > until) {
      await container.remove({ force: true });
      throw new Error('the loopback publish never answered');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { container, port, url, path: '/www/big', loopbackUrl };
}

/** busybox sh: fetch url `times` times with busybox wget, timed by busybox time (stderr: "real 0m 1.23s"). */
export function wgetLoop(url: string, times: number): string {
  return `wget -q -O /dev/null ${url}; time sh -c 'for i in ${Array.from({ length: times }, (_, i) => i + 1).join(' ')}; do wget -q -O /dev/null ${url}; done'`;
}

/** Milliseconds from busybox time's "real 0m 1.23s". */
export function timedMs(out: string): number {
  const m = out.match(/real\s+(\d+)m\s*([\d.]+)s/);
  if (!m) throw new Error(`no timing in: ${out}`);
  return (Number(m[1]) * 60 + Number(m[2])) * 1000;
}

/** The same wget loop in a host-network container: the download as the VM itself sees it. */
export async function wgetInVm(docker: Docker, url: string, times: number): Promise<number> {
  const client = await docker.createContainer({
    Image: 'berth-bench/busybox:1',
    Cmd: ['sh', '-c', wgetLoop(url, times)],
    Tty: true,
    HostConfig: { NetworkMode: 'host' },
  });
  try {
    await client.start();
    await client.wait();
    return timedMs((await client.logs({ stdout: true, stderr: true })).toString());
  } finally {
    await client.remove({ force: true });
  }
}
