// The lazy-pulling test's image, built on the host: one layer (busybox, a small file the
// entrypoint reads, `mib` MiB of random data), pushed to a registry twice, as eStargz (written by
// the stargz snapshotter's own library: estargz-layer, which set-up builds beside the snapshotter)
// and as an ordinary gzip layer. Converting in the emulated VM took minutes of the test's time.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { cachedStargz } from '../../engine/host/lazy-pulling.ts';
import { stargzToolPath } from '../../engine/host/stargz-build.ts';
import { BUSYBOX } from './scratch-image.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** The layer annotations the stargz snapshotter verifies a layer by (as ctr-remote writes them). */
const TOC_DIGEST = 'containerd.io/snapshot/stargz/toc.digest';
const UNCOMPRESSED_SIZE = 'io.containers.estargz.uncompressed-size';

const sha256 = (b: Buffer): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

/** The estargz-layer tool set-up built, or an error saying how to build it. */
export function estargzLayerTool(): string {
  const build = cachedStargz();
  const tool = build && stargzToolPath(build.manifest.version, 'estargz-layer');
  if (!tool || !fs.existsSync(tool))
    throw new Error(
      'estargz-layer is not built: run scripts/setup.sh (stargz-build-cli.ts --tool estargz-layer=test/helpers/estargz-layer/main.go)',
    );
  return tool;
}

async function layerTar(mib: number, hello: string): Promise<Buffer> {
  const pack = tar.pack();
  const dir = { type: 'directory' as const, mode: 0o755 };
  pack.entry({ name: 'bin/', ...dir });
  pack.entry({ name: 'bin/busybox', mode: 0o755 }, fs.readFileSync(BUSYBOX));
  pack.entry({ name: 'hello.txt', mode: 0o644 }, `${hello}\n`);
  pack.entry({ name: 'data/', ...dir });
  pack.entry({ name: 'data/big.bin', mode: 0o644 }, crypto.randomBytes(mib * 1024 * 1024));
  pack.finalize();
  return buffer(pack);
}

interface Layer {
  blob: Buffer;
  diffID: string;
  annotations?: Record<string, string>;
}

function estargzLayer(tarFile: string): Layer {
  const out = `${tarFile}.estargz`;
  const r = spawnSync(estargzLayerTool(), [tarFile, out, 'hello.txt'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`estargz-layer: ${r.stderr || r.error?.message}`);
  const meta = JSON.parse(r.stdout) as { tocDigest: string; diffID: string; uncompressedSize: number };
  return {
    blob: fs.readFileSync(out),
    diffID: meta.diffID,
    annotations: { [TOC_DIGEST]: meta.tocDigest, [UNCOMPRESSED_SIZE]: String(meta.uncompressedSize) },
  };
}

/** Pushes a blob with the registry API's monolithic upload (POST, then PUT with its digest). */
async function pushBlob(base: string, repo: string, blob: Buffer): Promise<string> {
  const digest = sha256(blob);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new Error(`registry: upload of ${repo} answered ${start.status}`);
  const url = new URL(location, base);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(blob),
  });
  if (put.status !== 201) throw new Error(`registry: blob ${digest} answered ${put.status}: ${await put.text()}`);
  return digest;
}

async function pushImage(registryPort: number, repo: string, tag: string, layer: Layer, entrypoint: string[]) {
  const base = `http://127.0.0.1:${registryPort}`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
      os: 'linux',
      config: { Entrypoint: entrypoint },
      rootfs: { type: 'layers', diff_ids: [layer.diffID] },
    }),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: await pushBlob(base, repo, config), size: config.length },
    layers: [
      {
        mediaType: OCI_LAYER_GZIP,
        digest: await pushBlob(base, repo, layer.blob),
        size: layer.blob.length,
        ...(layer.annotations ? { annotations: layer.annotations } : {}),
      },
    ],
  };
  const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': OCI_MANIFEST },
    body: JSON.stringify(manifest),
  });
  if (res.status !== 201) throw new Error(`registry: manifest ${repo}:${tag} answered ${res.status}`);
}

/**
 * Pushes `repo`:`tag` twice to the registry on the host's loopback: `lazyRepo` as eStargz (the
 * small file prioritized, as a landmark) and `plainRepo` as gzip. Both run `cat /hello.txt`.
 */
export async function pushLazyImages(
  registryPort: number,
  mib: number,
  hello: string,
  lazyRepo: string,
  plainRepo: string,
  tag: string,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-estargz-'));
  try {
    const tarBlob = await layerTar(mib, hello);
    const tarFile = path.join(dir, 'layer.tar');
    fs.writeFileSync(tarFile, tarBlob);
    const entrypoint = ['/bin/busybox', 'cat', '/hello.txt'];
    await pushImage(registryPort, lazyRepo, tag, estargzLayer(tarFile), entrypoint);
    const plain = { blob: zlib.gzipSync(tarBlob, { level: 1 }), diffID: sha256(tarBlob) };
    await pushImage(registryPort, plainRepo, tag, plain, entrypoint);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
