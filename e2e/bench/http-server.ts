// A busybox httpd in a container serving one file of the given size on a published port: what
// the throughput benchmarks download through Berth and inside the VM.
import type Docker from 'dockerode';
import { buildScratch } from '../../test/helpers/docker-ops.ts';
import { freeTcpPort } from '../../engine/host/vm-files.ts';

export interface ServedFile { container: Docker.Container; port: number; url: string; path: string }

export async function serveFile(docker: Docker, mib: number, source: '/dev/zero' | '/dev/urandom'): Promise<ServedFile> {
  await buildScratch(docker, 'berth-bench/busybox:1', 'bench');
  const port = await freeTcpPort();
  const container = await docker.createContainer({
    Image: 'berth-bench/busybox:1',
    Cmd: ['sh', '-c', `mkdir /www && dd if=${source} of=/www/big bs=1M count=${mib} 2>/dev/null && exec httpd -f -p 80 -h /www`],
    ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(port) }] } },
  });
  await container.start();
  const url = `http://127.0.0.1:${port}/big`;
  for (let until = Date.now() + 180_000; !(await fetch(url, { method: 'HEAD' }).then((r) => r.ok, () => false));) {
    if (Date.now() > until) { await container.remove({ force: true }); throw new Error('the published port never answered'); }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { container, port, url, path: '/www/big' };
}
