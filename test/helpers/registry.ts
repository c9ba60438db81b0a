// A real registry (Debian's docker-registry) on the host's loopback, for push/pull tests. The VM
// reaches it as 10.0.2.2:<port> (QEMU's alias for the host's loopback).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeTcpPort } from '../../engine/host/vm-files.ts';

export interface Registry {
  port: number;
  guestAddress: string;
  stop(): void;
}

export async function startRegistry(): Promise<Registry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-'));
  const port = await freeTcpPort();
  // No auth (Debian's default config wants htpasswd) and loopback only.
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const until = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > until || child.exitCode !== null)
      throw new Error('docker-registry did not start (is the docker-registry package installed?)');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    guestAddress: `10.0.2.2:${port}`,
    stop: () => {
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Manifest {
  mediaType?: string;
  layers?: Array<{ size?: unknown; annotations?: Record<string, string> }>;
  manifests?: Array<{ digest?: unknown }>;
}

/** repo:ref as the registry stores it (an index, a list or a manifest): its media type and body. */
export async function fetchManifest(
  port: number,
  repo: string,
  ref: string,
): Promise<{ mediaType: string; manifest: Manifest }> {
  const accept = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
  ].join(', ');
  const res = await fetch(`http://127.0.0.1:${port}/v2/${repo}/manifests/${ref}`, { headers: { accept } });
  if (!res.ok) throw new Error(`registry: ${res.status} for ${repo}:${ref}`);
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!;
  return { mediaType, manifest: (await res.json()) as Manifest };
}

/** The manifest media type the registry stores for repo:tag. */
export async function manifestMediaType(port: number, repo: string, tag: string): Promise<string> {
  return (await fetchManifest(port, repo, tag)).mediaType;
}
