// A WASI hello-world built with Debian's clang and wasi-libc, packaged FROM scratch as a wasi/wasm
// OCI archive for `docker load` (the host's docker CLI has no buildx, and the legacy builder
// refuses `--platform wasi/wasm`), and Debian's Compose plugin for the host's docker CLI.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import tar from 'tar-stream';
import { cachedPayload, writePayload } from '../../engine/host/feature-payload.ts';
import { run, withPrivateApt } from '../../engine/host/private-apt.ts';

export const HELLO_C = `#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  printf("hello from wasi, %d args:", argc - 1);
  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
  const char *who = getenv("WHO");
  printf("\\nwho=%s\\n", who ? who : "(unset)");
  return 0;
}
`;

/** hello.wasm from HELLO_C: clang --target=wasm32-wasi (clang, lld, wasi-libc, libclang-rt-14-dev-wasm32). */
export function buildHelloWasm(dir: string): Buffer {
  fs.writeFileSync(path.join(dir, 'hello.c'), HELLO_C);
  const out = path.join(dir, 'hello.wasm');
  const r = spawnSync('clang', ['--target=wasm32-wasi', '-O2', '-o', out, path.join(dir, 'hello.c')], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0)
    throw new Error(
      `clang could not build hello.wasm (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32): ${r.error?.message ?? r.stderr}`,
    );
  return fs.readFileSync(out);
}

const sha = (b: Buffer): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

async function tarOf(entries: Array<{ name: string; body: Buffer; mode?: number }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, mode: e.mode ?? 0o644, mtime: new Date(0) }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An OCI image layout archive: one layer holding the module at /<name>, a config for wasi/wasm
 * whose entrypoint is the module (what `FROM scratch` + `COPY` + `ENTRYPOINT` builds), named `ref`.
 */
export async function wasmOciArchive(module: Buffer, ref: string, name = 'hello.wasm'): Promise<Buffer> {
  const layer = await tarOf([{ name, body: module, mode: 0o755 }]);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'wasm',
      os: 'wasi',
      config: { Entrypoint: [`/${name}`] },
      rootfs: { type: 'layers', diff_ids: [sha(layer)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
    }),
  );
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha(manifest),
          size: manifest.length,
          platform: { architecture: 'wasm', os: 'wasi' },
          annotations: { 'io.containerd.image.name': `docker.io/${ref}`, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const blob = (b: Buffer) => ({ name: `blobs/sha256/${sha(b).slice(7)}`, body: b });
  return tarOf([
    { name: 'oci-layout', body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', body: index },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
}

/**
 * Debian trixie's Compose plugin (a Go binary; it runs on bookworm too), fetched once into Berth's
 * downloads cache through the private apt configuration, for hosts whose docker CLI has none.
 */
export function trixieComposePlugin(): string {
  const have = cachedPayload('compose', 'berth-compose.json', (m) =>
    typeof (m as { version?: unknown }).version === 'string' ? m : null,
  );
  const bin = (dir: string): string => path.join(dir, 'docker-compose');
  if (have) return bin(have.dir);
  return withPrivateApt({ suites: ['trixie'] }, ({ opts, work }) => {
    run('apt-get', [...opts, '-qq', 'download', 'docker-compose'], path.join(work, 'debs'));
    const deb = path.join(work, 'debs', fs.readdirSync(path.join(work, 'debs'))[0] ?? '');
    const version = run('dpkg-deb', ['-f', deb, 'Version']).trim();
    return bin(
      writePayload(`compose-${version}`, 'berth-compose.json', (tmp) => {
        run('dpkg-deb', ['-x', deb, path.join(tmp, 'tree')]);
        fs.renameSync(path.join(tmp, 'tree', 'usr', 'libexec', 'docker', 'cli-plugins', 'docker-compose'), bin(tmp));
        fs.rmSync(path.join(tmp, 'tree'), { recursive: true, force: true });
        return { version };
      }).dir,
    );
  });
}
