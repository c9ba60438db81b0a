import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  accelArgs,
  tcgCacheMiB,
  chooseAccelerator,
  nativeAccelerator,
  recordBootFailure,
  resolveOnPath,
} from '../../engine/host/accelerator.ts';
import { kernelCmdline, qemuArgs } from '../../engine/host/qemu-args.ts';
import { vmConfig } from './vm-config-fixture.ts';
import { AgentBootPort, bootPortHeader } from '../../engine/host/agent-boot-port.ts';
import { writeDockerContext } from '../../engine/host/docker-context.ts';
import { ensureKeys } from '../../engine/host/keys.ts';
import { recipeHash } from '../../engine/image/recipe.ts';
import { dataDiskGiB, ensureDataDisk, freshConsoleLog } from '../../engine/host/vm-files.ts';
import { DataDir } from '../../engine/host/paths.ts';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'berth-unit-'));

describe('accelerator choice', () => {
  const deps = (failure: string | null, extra: Record<string, unknown> = {}) => {
    const dir = tmp();
    let probes = 0;
    return {
      probes: () => probes,
      deps: {
        qemuBinary: '/nonexistent/qemu',
        kernel: path.join(dir, 'vmlinuz'),
        cacheFile: path.join(dir, 'cache.json'),
        platform: 'darwin' as const,
        arch: 'x64',
        probe: async () => {
          probes++;
          return failure;
        },
        ...extra,
      },
    };
  };

  it('uses the platform accelerator when the probe keeps running, and caches the probe', async () => {
    const d = deps(null);
    assert.equal((await chooseAccelerator('auto', d.deps)).accel, 'hvf');
    assert.equal((await chooseAccelerator('auto', d.deps)).accel, 'hvf');
    assert.equal(d.probes(), 1);
  });

  it('falls back to TCG when the device opens but the VM dies, saying why', async () => {
    const d = deps('vCPU status internal-error');
    const c = await chooseAccelerator('auto', d.deps);
    assert.equal(c.accel, 'tcg');
    assert.match(c.reason, /internal-error.*TCG/);
    await assert.rejects(chooseAccelerator('kvm', d.deps), /set to kvm.*internal-error/);
  });

  it('remembers a hardware accelerator that failed a real boot, and refuses it when set explicitly', async () => {
    const d = deps(null);
    assert.equal((await chooseAccelerator('auto', d.deps)).accel, 'hvf');
    const now = recordBootFailure('auto', d.deps, 'hvf', 'the VM stopped in run state internal-error');
    assert.equal(now.accel, 'tcg');
    assert.match(now.reason, /hvf failed while booting.*internal-error.*TCG/);
    const next = await chooseAccelerator('auto', d.deps);
    assert.equal(next.accel, 'tcg', 'the next start skips the broken accelerator');
    assert.equal(d.probes(), 1, 'without probing again');
    assert.throws(
      () => recordBootFailure('kvm', d.deps, 'hvf', 'aborted'),
      /set to kvm.*hvf failed while booting.*aborted/,
    );
  });

  it('probes again when the kernel image changes', async () => {
    const d = deps(null);
    fs.writeFileSync(d.deps.kernel, 'one');
    await chooseAccelerator('auto', d.deps);
    fs.writeFileSync(d.deps.kernel, 'a new kernel');
    await chooseAccelerator('auto', d.deps);
    assert.equal(d.probes(), 2);
  });

  it('resolves a bare QEMU name on PATH for the cache key', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'qemu-x'), '', { mode: 0o755 });
    assert.equal(resolveOnPath('qemu-x', { PATH: `/nonexistent:${dir}` }), path.join(dir, 'qemu-x'));
    assert.equal(resolveOnPath('qemu-missing', { PATH: dir }), 'qemu-missing');
  });

  it('maps platforms and never probes for tcg', async () => {
    assert.equal(nativeAccelerator('win32', 'x64'), 'whpx');
    assert.equal(nativeAccelerator('darwin', 'arm64'), null);
    const d = deps(null);
    assert.equal((await chooseAccelerator('tcg', d.deps)).accel, 'tcg');
    assert.equal(d.probes(), 0);
    const GiB = 1024 ** 3;
    assert.deepEqual(accelArgs('tcg', 24 * GiB), ['-accel', 'tcg,thread=multi,tb-size=1024', '-cpu', 'max']);
  });

  it("sizes TCG's translation cache by the host's memory: an 8th, between 256 MiB and 1 GiB", () => {
    const GiB = 1024 ** 3;
    assert.equal(tcgCacheMiB(1 * GiB), 256);
    assert.equal(tcgCacheMiB(4 * GiB), 512);
    assert.equal(tcgCacheMiB(6 * GiB), 768);
    assert.equal(tcgCacheMiB(8 * GiB), 1024);
    assert.equal(tcgCacheMiB(64 * GiB), 1024);
  });
});

describe('QEMU command line', () => {
  it('boots an immutable root with keys over fw_cfg and the data disk', () => {
    const a = qemuArgs(vmConfig({ accel: 'kvm', cpus: 4, memoryMiB: 4096 })).join(' ');
    assert.match(a, /file=r\.img,format=raw,snapshot=on/);
    assert.match(a, /file=d\.qcow2,format=qcow2/);
    assert.match(a, /hostfwd=tcp:127\.0\.0\.1:2222-:22/);
    assert.match(a, /name=opt\/berth\/authorized_keys,file=ak/);
    assert.match(a, /-accel kvm -cpu host/);
    assert.match(a, /-smp 4 -m 4096/);
    assert.match(a, /apparmor=0/);
    assert.doesNotMatch(a, /mitigations=off/, 'a guest on a real CPU keeps its side-channel mitigations');
    assert.doesNotMatch(a, /virtio-serial-pci/, 'no serial ports asked for, none added');
  });

  it('boots an emulated (TCG) guest without side-channel mitigations: nothing runs speculatively there', () => {
    assert.match(kernelCmdline('tcg'), /(^| )mitigations=off( |$)/);
    for (const accel of ['kvm', 'hvf', 'whpx'] as const) assert.doesNotMatch(kernelCmdline(accel), /mitigations/);
  });

  it('serves the data port and the agent boot port on one virtio-serial controller', () => {
    const a = qemuArgs(vmConfig({ muxSocket: 'm.sock', bootSocket: 'b.sock' })).join(' ');
    assert.equal(a.match(/virtio-serial-pci/g)?.length, 1);
    assert.match(
      a,
      /socket,id=mux,path=m\.sock,server=on,wait=off -device virtserialport,bus=vser\.0,chardev=mux,name=berth\.mux/,
    );
    assert.match(
      a,
      /socket,id=boot,path=b\.sock,server=on,wait=off -device virtserialport,bus=vser\.0,chardev=boot,name=berth\.boot/,
    );
  });
});

describe('agent boot port', () => {
  it('announces the bundle by its sha256 and length on one line', () => {
    const bundle = Buffer.from('export {};\n');
    assert.equal(
      bootPortHeader(bundle),
      `${crypto.createHash('sha256').update(bundle).digest('hex')} ${bundle.length}\n`,
    );
  });

  it('hands the header and bundle to whoever serves the port, and keeps the connection until closed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-boot-port-'));
    const sock = path.join(dir, 'boot.sock');
    const bundle = crypto.randomBytes(300_000);
    let got = Buffer.alloc(0);
    let ended = false;
    const server = net.createServer((c) => {
      c.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
      });
      c.on('close', () => {
        ended = true;
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const port = new AgentBootPort(sock, () => undefined);
    try {
      await port.offer(Promise.resolve(bundle));
      const header = bootPortHeader(bundle);
      for (const until = Date.now() + 5000; got.length < header.length + bundle.length && Date.now() < until; )
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(got.subarray(0, header.length).toString(), header);
      assert.ok(got.subarray(header.length).equals(bundle));
      assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
      assert.equal(ended, false, 'kept open for a guest that reads late');
    } finally {
      port.close();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a port that never answers, and says the agent goes over SSH', async () => {
    const logs: string[] = [];
    await new AgentBootPort(path.join(os.tmpdir(), `berth-no-such-${process.pid}.sock`), (m) => logs.push(m)).offer(
      Promise.resolve(Buffer.from('x')),
      200,
    );
    assert.match(logs.join('\n'), /boot port does not answer.*over SSH/);
  });
});

describe('per-install keys and docker context', () => {
  it('creates 0600 keys once and keeps them', () => {
    const dir = tmp();
    const a = ensureKeys(dir);
    const b = ensureKeys(dir);
    assert.deepEqual(a.hostPublicKey, b.hostPublicKey);
    for (const f of fs.readdirSync(dir)) assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
    assert.match(a.clientPrivateKey, /OPENSSH PRIVATE KEY/);
  });

  it('writes the berth context and switches to it only when asked', () => {
    const dir = tmp();
    const meta = writeDockerContext('/x/docker.sock', { configDir: dir });
    assert.equal(JSON.parse(fs.readFileSync(meta, 'utf8')).Endpoints.docker.Host, 'unix:///x/docker.sock');
    assert.equal(fs.existsSync(path.join(dir, 'config.json')), false);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"auths":{"r":{}}}');
    writeDockerContext('/x/docker.sock', { configDir: dir, use: true });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), {
      auths: { r: {} },
      currentContext: 'berth',
    });
  });
});

describe('image recipe hash', () => {
  it('changes when a recipe file changes', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'build.sh'), 'a');
    fs.writeFileSync(path.join(dir, 'customize.sh'), 'b');
    fs.mkdirSync(path.join(dir, 'rootfs'));
    const h1 = recipeHash(dir);
    fs.writeFileSync(path.join(dir, 'rootfs', 'x'), 'c');
    assert.notEqual(recipeHash(dir), h1);
  });
});

describe('data disk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-disk-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A template as build.sh makes one, smaller: a qcow2 that holds a marker where ext4 would be.
  const template = path.join(dir, 'template.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', template, '2G']);
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x42 0 64k', template]);
  const firstByte = (file: string): number => {
    const raw = `${file}.raw`;
    execFileSync('qemu-img', ['dd', '-f', 'qcow2', '-O', 'raw', 'bs=65536', 'count=1', `if=${file}`, `of=${raw}`]);
    return fs.readFileSync(raw)[0]!;
  };

  it('starts a new install from the formatted template, grown to the setting, 0600', () => {
    const disk = path.join(dir, 'a.qcow2');
    ensureDataDisk(disk, 3, template);
    assert.equal(dataDiskGiB(disk), 3);
    assert.equal(firstByte(disk), 0x42, "the template's contents");
    assert.equal(fs.statSync(disk).mode & 0o777, 0o600);
    assert.equal(dataDiskGiB(template), 2, 'the template is left as it was');
  });

  it('is blank when the setting is smaller than the template, or there is none', () => {
    for (const [name, tpl] of [
      ['b.qcow2', template],
      ['c.qcow2', undefined],
    ] as const) {
      const disk = path.join(dir, name);
      ensureDataDisk(disk, 1, tpl);
      assert.equal(dataDiskGiB(disk), 1);
      assert.equal(firstByte(disk), 0, 'blank: the guest formats it');
    }
  });

  it('keeps an existing disk, growing it only', () => {
    const disk = path.join(dir, 'a.qcow2');
    ensureDataDisk(disk, 2, template);
    assert.equal(dataDiskGiB(disk), 3, 'never shrunk');
    ensureDataDisk(disk, 5, template);
    assert.equal(dataDiskGiB(disk), 5);
    assert.equal(firstByte(disk), 0x42, 'contents kept');
  });
});

describe('console log of each boot', () => {
  it("keeps the last boot's console (a panic survives the retry); an empty one does not replace it", () => {
    const data = new DataDir(tmp());
    data.ensure();
    assert.equal(path.basename(data.previousConsoleLog), 'console.previous.log');
    freshConsoleLog(data.consoleLog);
    assert.equal(fs.readFileSync(data.consoleLog, 'utf8'), '');
    assert.equal(fs.statSync(data.consoleLog).mode & 0o777, 0o600);
    assert.equal(fs.existsSync(data.previousConsoleLog), false, 'nothing to keep on a first boot');

    fs.writeFileSync(data.consoleLog, 'Kernel panic - not syncing: Fatal exception in interrupt\n');
    freshConsoleLog(data.consoleLog);
    assert.equal(fs.readFileSync(data.consoleLog, 'utf8'), '', 'the new boot starts an empty log');
    assert.equal(fs.statSync(data.consoleLog).mode & 0o777, 0o600);
    assert.match(fs.readFileSync(data.previousConsoleLog, 'utf8'), /Kernel panic/);
    assert.equal(fs.statSync(data.previousConsoleLog).mode & 0o777, 0o600);

    // A start that failed before QEMU wrote anything leaves the informative console in place.
    freshConsoleLog(data.consoleLog);
    assert.match(fs.readFileSync(data.previousConsoleLog, 'utf8'), /Kernel panic/);
  });
});
