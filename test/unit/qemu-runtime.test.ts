// Which QEMU runs the VM (BERTH_QEMU, else a bundled QEMU ≥ 10 when the system's is older, else
// the system's), the host's apt sources read for its own Debian mirror (one-line and deb822), and
// the fetch through a private apt configuration (stand-in apt-get, apt-cache and dpkg-deb here).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  cachedQemu,
  chooseQemu,
  fetchBackportsQemu,
  firmwareArgs,
  firmwareDirs,
  MANIFEST,
  type BundledQemu,
  type QemuInputs,
} from '../../engine/host/qemu-runtime.ts';
import {
  debianMirror,
  parseDeb822Sources,
  parseOneLineSources,
  privateSources,
  readAptSources,
} from '../../engine/host/private-apt.ts';
import { qemuArgs, type VmConfig } from '../../engine/host/qemu-args.ts';
import { formatStatus } from '../../electron/node-host/cli/format.ts';
import { writeDiagnostics } from '../../engine/host/diagnostics.ts';
import { DataDir } from '../../engine/host/paths.ts';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'berth-qemu-rt-'));
const BUNDLED: BundledQemu = {
  dir: '/cache/qemu-10.0.2',
  binary: '/cache/qemu-10.0.2/usr/bin/qemu-system-x86_64',
  version: '10.0.2',
  debianVersion: '1:10.0.2+ds-2+deb13u1~bpo12+1',
  suite: 'bookworm-backports',
  packages: [],
};

describe('QEMU selection', () => {
  const inputs = (o: { env?: NodeJS.ProcessEnv; bundled?: BundledQemu | null; system?: string }): QemuInputs => ({
    env: o.env ?? {},
    platform: 'linux',
    bundled: () => o.bundled ?? null,
    versionOf: (b) => (b === 'qemu-system-x86_64' ? o.system : b === BUNDLED.binary ? BUNDLED.version : '8.0.0'),
  });

  it('BERTH_QEMU overrides everything', () => {
    const c = chooseQemu(inputs({ env: { BERTH_QEMU: '/opt/my-qemu' }, bundled: BUNDLED, system: '7.2.22' }));
    assert.deepEqual(c, { binary: '/opt/my-qemu', version: '8.0.0', source: 'BERTH_QEMU', reason: 'BERTH_QEMU' });
  });

  it('the cached QEMU ≥ 10 when the system QEMU is older, or missing', () => {
    const c = chooseQemu(inputs({ bundled: BUNDLED, system: '7.2.22' }));
    assert.equal(c.binary, BUNDLED.binary);
    assert.equal(c.source, 'bundled');
    assert.equal(c.reason, 'bundled QEMU 10.0.2 from bookworm-backports (system QEMU 7.2.22 is older)');
    assert.match(chooseQemu(inputs({ bundled: BUNDLED })).reason, /bundled QEMU 10\.0\.2 .*\(no system QEMU\)/);
  });

  it("the system's QEMU otherwise: no cached one, or the system's is as new", () => {
    const none = chooseQemu(inputs({ system: '7.2.22' }));
    assert.deepEqual(none, {
      binary: 'qemu-system-x86_64',
      version: '7.2.22',
      source: 'system',
      reason: 'system QEMU (no bundled QEMU 10 in the cache)',
    });
    const same = chooseQemu(inputs({ bundled: BUNDLED, system: '10.0.2' }));
    assert.equal(same.binary, 'qemu-system-x86_64');
    assert.equal(same.reason, 'system QEMU (not older than the bundled 10.0.2)');
    assert.equal(
      chooseQemu({ ...inputs({ system: '10.1.0' }), platform: 'win32', versionOf: () => '10.1.0' }).binary,
      'qemu-system-x86_64.exe',
    );
  });

  it('the cache offers only a whole tree (its manifest written last) of QEMU ≥ 10, the newest', () => {
    const downloads = tmp();
    const tree = (name: string, version: string, manifest = true): void => {
      const dir = path.join(downloads, name);
      fs.mkdirSync(path.join(dir, 'usr', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'usr', 'bin', 'qemu-system-x86_64'), '');
      if (manifest)
        fs.writeFileSync(
          path.join(dir, MANIFEST),
          JSON.stringify({ version, debianVersion: version, suite: 'bookworm-backports', packages: [] }),
        );
    };
    try {
      assert.equal(cachedQemu(downloads), null);
      tree('qemu-9.2.1', '9.2.1');
      tree('qemu-10.0.2', '10.0.2');
      tree('qemu-10.1.0', '10.1.0', false); // an unpack that never finished
      tree('qemu-10.2.0.partial-123', '10.2.0');
      const got = cachedQemu(downloads);
      assert.equal(got?.version, '10.0.2');
      assert.equal(got?.binary, path.join(downloads, 'qemu-10.0.2', 'usr', 'bin', 'qemu-system-x86_64'));
      assert.equal(cachedQemu(path.join(downloads, 'none')), null);
    } finally {
      fs.rmSync(downloads, { recursive: true, force: true });
    }
  });

  it('an unpacked QEMU gets its own firmware first (-L); a system one none', () => {
    const root = tmp();
    try {
      const bin = path.join(root, 'usr', 'bin', 'qemu-system-x86_64');
      assert.deepEqual(firmwareDirs(bin), [], 'no firmware tree beside it');
      for (const d of ['qemu', 'seabios']) fs.mkdirSync(path.join(root, 'usr', 'share', d), { recursive: true });
      const dirs = [path.join(root, 'usr', 'share', 'qemu'), path.join(root, 'usr', 'share', 'seabios')];
      assert.deepEqual(firmwareDirs(bin), dirs);
      assert.deepEqual(firmwareArgs(bin), ['-L', dirs[0], '-L', dirs[1]]);
      assert.deepEqual(firmwareDirs('/usr/bin/qemu-system-x86_64'), []);
      assert.deepEqual(firmwareDirs('qemu-system-x86_64'), []);
      const config = {
        image: { kernel: 'k', initrd: 'i', rootfs: 'r' },
        accel: 'tcg',
        cpus: 2,
        memoryMiB: 2048,
        dataDisk: 'd',
        sshPort: 2222,
        qmpSocket: 'q',
        consoleLog: 'c',
        authorizedKeysFile: 'a',
        hostKeyFile: 'h',
      } satisfies VmConfig;
      const args = qemuArgs({ ...config, firmwareDirs: dirs });
      assert.ok(args.indexOf('-L') >= 0 && args.indexOf('-L') < args.indexOf('-machine'), 'before the machine');
      assert.equal(qemuArgs(config).includes('-L'), false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('berth status and the diagnostics archive say which QEMU and why', async () => {
    const reason = 'bundled QEMU 10.0.2 from bookworm-backports (system QEMU 7.2.22 is older)';
    const text = formatStatus({
      state: 'running',
      dockerSocket: '/s',
      dataDir: '/d',
      versions: { qemu: '10.0.2', qemuReason: reason },
    });
    assert.match(text, /qemu 10\.0\.2/);
    assert.ok(text.includes(`qemu:         ${reason}`));
    const dir = tmp();
    try {
      const data = new DataDir(dir);
      const out = path.join(dir, 'd.tar.gz');
      await writeDiagnostics({
        data,
        status: { state: 'stopped', dockerSocket: data.dockerSocket, dataDir: dir },
        guest: null,
        out,
      });
      const host = JSON.parse(
        execFileSync('tar', ['-xzOf', out, 'berth-diagnostics/host.json'], { encoding: 'utf8' }),
      ) as { qemu: { binary: string; reason: string } };
      assert.ok(host.qemu.binary && host.qemu.reason, JSON.stringify(host));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the host's apt sources", () => {
  const DEB822 = `Types: deb
# a snapshot, commented out
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no
`;
  const ONE_LINE = `# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/etc/apt/keyrings/deb.gpg] http://one.example/debian bookworm main non-free-firmware
deb http://one.example/debian bookworm-updates main
`;

  it('deb822: the enabled entry whose suite is bookworm, with its Signed-By', () => {
    const sources = parseDeb822Sources(DEB822);
    assert.equal(sources.length, 2, 'the disabled paragraph is skipped');
    assert.deepEqual(debianMirror(sources), {
      uri: 'http://mirror.example/debian',
      signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
    });
    assert.equal(debianMirror(sources, 'trixie'), null);
  });

  it('one-line: deb (not deb-src, not a comment) for bookworm, options read', () => {
    const sources = parseOneLineSources(ONE_LINE);
    assert.equal(sources.length, 3);
    assert.deepEqual(debianMirror(sources), {
      uri: 'http://one.example/debian',
      signedBy: '/etc/apt/keyrings/deb.gpg',
    });
    assert.deepEqual(sources[1]!.components, ['main', 'non-free-firmware']);
  });

  it('an inline key in deb822 is carried into the private sources whole', () => {
    const inline =
      'Types: deb\nURIs: http://k.example/debian\nSuites: bookworm\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n';
    const mirror = debianMirror(parseDeb822Sources(inline));
    assert.equal(
      mirror?.signedBy,
      '\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n.\nabc\n-----END PGP PUBLIC KEY BLOCK-----',
    );
    const text = privateSources(mirror!);
    assert.match(text, /^Suites: bookworm bookworm-backports$/m);
    assert.match(text, /^Signed-By: \n -----BEGIN PGP PUBLIC KEY BLOCK-----\n \.\n abc\n/m);
    assert.deepEqual(debianMirror(parseDeb822Sources(text)), mirror, 'apt reads back the same entry');
  });

  it('reads sources.list, then sources.list.d (*.list, *.sources, nothing else)', () => {
    const etc = tmp();
    try {
      fs.mkdirSync(path.join(etc, 'sources.list.d'));
      fs.writeFileSync(path.join(etc, 'sources.list'), '# moved to sources.list.d\n');
      fs.writeFileSync(path.join(etc, 'sources.list.d', 'debian.sources'), DEB822);
      fs.writeFileSync(
        path.join(etc, 'sources.list.d', 'other.list.disabled'),
        'deb http://off.example/debian bookworm main\n',
      );
      fs.writeFileSync(
        path.join(etc, 'sources.list.d', 'cloud.list'),
        'deb https://cloud.example/apt cloud-sdk-bookworm main\n',
      );
      assert.equal(debianMirror(readAptSources(etc))?.uri, 'http://mirror.example/debian');
      fs.writeFileSync(path.join(etc, 'sources.list'), ONE_LINE);
      assert.equal(debianMirror(readAptSources(etc))?.uri, 'http://one.example/debian', 'sources.list comes first');
    } finally {
      fs.rmSync(etc, { recursive: true, force: true });
    }
  });
});

describe('fetching QEMU from bookworm-backports', () => {
  it('uses a private apt configuration, unpacks into the cache, checks the binary runs, then reuses it', () => {
    const root = tmp();
    const bin = path.join(root, 'bin');
    const etc = path.join(root, 'etc-apt');
    const downloads = path.join(root, 'downloads');
    const calls = path.join(root, 'calls');
    fs.mkdirSync(bin);
    fs.mkdirSync(etc);
    fs.writeFileSync(
      path.join(etc, 'sources.list'),
      'deb [signed-by=/k.gpg] http://mirror.example/debian bookworm main\n',
    );
    const V = '1:10.0.2+ds-2+deb13u1~bpo12+1';
    const script = (name: string, body: string): void =>
      fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${calls}'\n${body}\n`, { mode: 0o755 });
    script(
      'apt-get',
      `for a in "$@"; do case "$a" in Dir::Etc::SourceList=*) cp "\${a#*=}" '${root}/private.sources';; esac; done
seen=; for a in "$@"; do [ -n "$seen" ] && : > "\${a%%/*}.deb"; [ "$a" = download ] && seen=1; done; exit 0`,
    );
    script(
      'apt-cache',
      `echo " qemu-system-x86 | ${V} | http://mirror.example/debian bookworm-backports/main amd64 Packages"
echo " qemu-system-x86 | 1:7.2+dfsg-7 | http://mirror.example/debian bookworm/main amd64 Packages"`,
    );
    script(
      'dpkg-deb',
      `f=$(basename "$2" .deb)
if [ "$1" = -f ]; then printf 'Package: %s\\nVersion: ${V}\\n' "$f"; exit 0; fi
mkdir -p "$3/usr/share/qemu" "$3/usr/share/doc/$f" "$3/usr/bin"
[ "$f" = qemu-system-x86 ] && printf '#!/bin/sh\\necho "QEMU emulator version 10.0.2 (Debian ${V})"\\n' > "$3/usr/bin/qemu-system-x86_64" && chmod +x "$3/usr/bin/qemu-system-x86_64"
exit 0`,
    );
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      let announced = '';
      const b = fetchBackportsQemu({
        downloads,
        etcApt: etc,
        onVersion: (v, dir) => {
          announced = `${v} ${dir}`;
        },
      });
      assert.equal(announced, `10.0.2 ${path.join(downloads, 'qemu-10.0.2')}`);
      assert.equal(b.version, '10.0.2');
      assert.deepEqual(
        b.packages.map((p) => p.name),
        ['qemu-system-common', 'qemu-system-data', 'qemu-system-x86', 'seabios'],
      );
      assert.equal(execFileSync(b.binary, ['--version'], { encoding: 'utf8' }).includes('version 10.0.2'), true);
      assert.equal(fs.existsSync(path.join(b.dir, 'usr', 'share', 'doc')), false, 'docs are not kept');
      assert.equal(cachedQemu(downloads)?.binary, b.binary);
      const log = fs.readFileSync(calls, 'utf8');
      assert.match(
        log,
        /^apt-get .*Dir::Etc::SourceParts=\/dev\/null .*Dir::State::Lists=\S+berth-apt-\S+ .*Dir::Cache=\S+berth-apt-\S+ .*update$/m,
      );
      assert.match(
        log,
        /^apt-get .* download qemu-system-x86\/bookworm-backports qemu-system-common\/bookworm-backports qemu-system-data\/bookworm-backports seabios\/bookworm-backports$/m,
      );
      assert.equal(/Dir::Etc::SourceList=\/etc/.test(log), false, "the host's sources list is never apt's list here");
      const priv = fs.readFileSync(path.join(root, 'private.sources'), 'utf8');
      assert.equal(
        priv,
        'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-backports\nComponents: main\nSigned-By: /k.gpg\n',
      );
      fs.writeFileSync(calls, '');
      assert.equal(fetchBackportsQemu({ downloads, etcApt: etc }).dir, b.dir);
      assert.equal(fs.readFileSync(calls, 'utf8'), '', 'the cached one: apt is not asked again');
      assert.deepEqual(fs.readdirSync(downloads), ['qemu-10.0.2'], 'no partial tree left');
    } finally {
      process.env.PATH = oldPath;
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a host without a bookworm entry is refused before apt runs', () => {
    const etc = tmp();
    try {
      fs.writeFileSync(path.join(etc, 'sources.list'), 'deb http://archive.example/ubuntu noble main\n');
      assert.throws(() => fetchBackportsQemu({ downloads: path.join(etc, 'dl'), etcApt: etc }), /no 'bookworm' entry/);
    } finally {
      fs.rmSync(etc, { recursive: true, force: true });
    }
  });
});
