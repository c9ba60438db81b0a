// Builds with attestations without Docker Hub: BuildKit's default SBOM scanner
// (docker/buildkit-syft-scanner) is out of reach, so a tiny generator image speaking the same
// scanner protocol (sbom-generator/sbom.sh on the host's static busybox) is built with the host's
// docker CLI, pushed to the loopback registry and named with --sbom=generator=<ref>.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BerthEnv } from './berth-env.ts';
import { BUSYBOX } from './scratch-image.ts';
import { hostCommand, installVmBuildx, type Run } from './endpoint-tools.ts';
import { startRegistry, type Registry } from './registry.ts';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sbom-generator', 'sbom.sh');

/** The generator's build context: busybox with its applets linked, and the script as entrypoint. */
export function writeGeneratorContext(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(dir, 'busybox'));
  fs.copyFileSync(SCRIPT, path.join(dir, 'sbom.sh'));
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
      'COPY sbom.sh /sbom.sh',
      'ENTRYPOINT ["/bin/sh", "/sbom.sh"]',
      '',
    ].join('\n'),
  );
  return dir;
}

/** A FROM scratch app (busybox and a marker file) whose SBOM must list both. */
export function writeAppContext(dir: string, marker: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(dir, 'busybox'));
  fs.writeFileSync(path.join(dir, 'marker'), `${marker}\n`);
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /marker\nENTRYPOINT ["/bin/busybox"]\n',
  );
  return dir;
}

/** Builds the generator and pushes it as `ref` (a registry the VM reaches); the build also keeps it in the store. */
export async function pushGenerator(host: (cmd: string) => Promise<Run>, dir: string, ref: string): Promise<void> {
  const r = await host(`docker buildx build --provenance=false -t ${ref} --push ${writeGeneratorContext(dir)} 2>&1`);
  if (r.code !== 0) throw new Error(`building the SBOM generator ${ref} failed:\n${r.stdout}${r.stderr}`);
}

/** The build line under test: an SPDX SBOM from `generator`, and provenance with everything (mode=max). */
export function attestedBuild(generator: string, tag: string, dir: string): string {
  return `docker buildx build --sbom=generator=${generator} --provenance=mode=max -t ${tag} --load ${dir} 2>&1`;
}

/**
 * What an attestation test needs around the engine: the loopback registry (allowed as the user's
 * own insecure-registries key), the host's docker CLI with buildx on Berth's socket, the generator
 * pushed as <registry>/<repo>/sbom-generator:1, and a scratch folder.
 */
export class AttestationRig {
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-attest-'));
  registry: Registry | null = null;
  host: (cmd: string) => Promise<Run> = async () => {
    throw new Error('AttestationRig.setUp() first');
  };
  generator = '';

  constructor(
    private readonly env: BerthEnv,
    private readonly repo: string,
  ) {}

  get guestRegistry(): string {
    return this.registry?.guestAddress ?? '';
  }

  async setUp(startTimeoutMs?: number): Promise<void> {
    this.registry = await startRegistry();
    const r = await this.env.start(startTimeoutMs);
    assert.equal(r.code, 0, r.stderr);
    installVmBuildx(this.env.dockerConfig);
    this.host = hostCommand({ ...this.env.env, DOCKER_HOST: `unix://${this.env.data.dockerSocket}` }, 600_000);
    const set = await this.env.cli([
      'settings',
      'set',
      `dockerEngine=${JSON.stringify({ 'insecure-registries': [this.registry.guestAddress] })}`,
    ]);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    this.generator = `${this.registry.guestAddress}/${this.repo}/sbom-generator:1`;
    await pushGenerator(this.host, path.join(this.tmp, 'generator'), this.generator);
  }

  /** A command that must succeed; its output. */
  async ok(cmd: string): Promise<string> {
    const r = await this.host(cmd);
    assert.equal(r.code, 0, `${cmd}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Removes these images and the generator, the build cache, the registry and the folder (the env's settings are its own to restore). */
  async tearDown(refs: string[]): Promise<void> {
    if (this.generator)
      await this.host(`docker rmi -f ${[...refs, this.generator].join(' ')}; docker builder prune -af`).catch(
        () => undefined,
      );
    this.registry?.stop();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
