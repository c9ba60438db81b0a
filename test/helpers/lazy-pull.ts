// Measuring lazy pulling for real: a counting HTTP proxy in front of the loopback registry (blob
// bytes as the registry sends them, whole or in ranges), the README's conversion in the VM, and a
// `docker run` timed to its first output through the host's CLI. The measured image itself is
// built on the host (estargz-image.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUSYBOX } from './scratch-image.ts';
import { fetchManifest, type Manifest } from './registry.ts';
import type { BerthEnv } from './berth-env.ts';

const BERTH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.js');

export interface CountingProxy {
  port: number;
  guestAddress: string;
  blobBytes(): number;
  reset(): void;
  stop(): void;
}

/** Forwards everything to the registry; counts the body bytes of blob responses. */
export async function startCountingProxy(registryPort: number): Promise<CountingProxy> {
  let bytes = 0;
  const server = http.createServer((req, res) => {
    const up = http.request(
      { host: '127.0.0.1', port: registryPort, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        const blob = /\/blobs\/sha256:/.test(req.url ?? '') && req.method === 'GET';
        r.on('data', (d: Buffer) => {
          if (blob) bytes += d.length;
          res.write(d);
        });
        r.on('end', () => res.end());
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    guestAddress: `10.0.2.2:${port}`,
    blobBytes: () => bytes,
    reset: () => {
      bytes = 0;
    },
    stop: () => {
      server.close();
    },
  };
}

/**
 * An image's manifest as the registry holds it. dockerd's containerd store pushes an index (one
 * linux/amd64 manifest here): its first image manifest is the one returned.
 */
export async function imageManifest(registryPort: number, repo: string, tag: string): Promise<Manifest> {
  const { manifest } = await fetchManifest(registryPort, repo, tag);
  const first = manifest.manifests?.[0]?.digest;
  return !manifest.layers && typeof first === 'string'
    ? (await fetchManifest(registryPort, repo, first)).manifest
    : manifest;
}

/** Compressed size of an image's layers as the registry holds them. */
export async function imageLayerBytes(registryPort: number, repo: string, tag: string): Promise<number> {
  const m = await imageManifest(registryPort, repo, tag);
  return (m.layers ?? []).reduce((n, l) => n + (typeof l.size === 'number' ? l.size : 0), 0);
}

/** A command in the VM with stdin (berth shell), failing with its output. */
function shellOnce(env: BerthEnv, cmd: string, stdin?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH, 'shell', cmd], { env: env.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`berth shell ${cmd.slice(0, 80)}: exit ${code}\n${out.slice(-2000)}`)),
    );
    child.stdin.end(stdin ?? '');
  });
}

/** berth shell, again when SSH's handshake timed out before the command ran (a loaded host). */
export async function shellIn(env: BerthEnv, cmd: string, stdin?: Buffer): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await shellOnce(env, cmd, stdin);
    } catch (e) {
      if (attempt >= 4 || !/Timed out while waiting for handshake/.test((e as Error).message)) throw e;
    }
  }
}

export const HELLO = 'hello from a lazily pulled image';

/**
 * The README's way to make an eStargz image: build in the VM (a small FROM scratch busybox image),
 * convert with the package's converter (ctr-remote, on the VM's PATH while lazy pulling is on),
 * push as `ref`; then delete every local copy.
 */
export async function convertInVm(env: BerthEnv, ref: string): Promise<void> {
  const ctx = '/tmp/berth-convert-ctx';
  await shellIn(
    env,
    `rm -rf ${ctx} && mkdir -p ${ctx} && cat > ${ctx}/busybox && chmod 755 ${ctx}/busybox`,
    fs.readFileSync(BUSYBOX),
  );
  const dockerfile = 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox", "echo", "converted"]\n';
  await shellIn(
    env,
    `cd ${ctx} && cat > Dockerfile && docker build -q -t berth-convert-src:1 . && ` +
      `ctr-remote -n moby images convert --estargz --oci docker.io/library/berth-convert-src:1 ${ref} && docker push -q ${ref} && rm -rf ${ctx}`,
    Buffer.from(dockerfile),
  );
  await forget(env, [ref, 'berth-convert-src:1']);
}

/** Deletes the images and everything that keeps their content (build cache, stopped containers). */
export async function forget(env: BerthEnv, refs: readonly string[]): Promise<void> {
  await shellIn(
    env,
    `docker container prune -f >/dev/null; docker rmi -f ${refs.join(' ')} >/dev/null 2>&1; docker builder prune -af >/dev/null; docker image prune -af >/dev/null; true`,
  );
}

export interface TimedRun {
  firstOutputMs: number;
  bytesBeforeOutput: number;
  bytesTotal: number;
  output: string;
}

/** `docker run --rm <image>` through the host's CLI: when its first output comes, and what the registry sent by then. */
export function timedRun(env: BerthEnv, proxy: CountingProxy, image: string, timeoutMs = 900_000): Promise<TimedRun> {
  proxy.reset();
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['run', '--rm', image], {
      env: { ...env.env, DOCKER_HOST: `unix://${env.data.dockerSocket}` },
    });
    let first: { ms: number; bytes: number } | null = null;
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker run ${image} timed out`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      first ??= { ms: performance.now() - t0, bytes: proxy.blobBytes() };
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0 || !first) reject(new Error(`docker run ${image}: exit ${code}: ${err.trim()}`));
      else
        resolve({
          firstOutputMs: first.ms,
          bytesBeforeOutput: first.bytes,
          bytesTotal: proxy.blobBytes(),
          output: out.trim(),
        });
    });
  });
}
