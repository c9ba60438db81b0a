// Builds containerd-stargz-grpc into Berth's cache (downloads/stargz-<version>/), for lazy pulling (lazy-pulling.ts). Debian
// forky packages the stargz snapshotter's Go library (golang-github-containerd-stargz-snapshotter-dev)
// but its stargz-snapshotter package holds only ctr-remote, not the gRPC service containerd's proxy
// plugin talks to. So the library, the -dev packages it needs and forky's Go are fetched through a
// private apt configuration (qemu-runtime.ts withPrivateApt: the host's apt is not changed),
// unpacked into a scratch directory, and stargz-grpc/main.go (the upstream command's main, reduced)
// is built static. Nothing is installed on the host.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { downloadsDir } from '../image/locate.ts';
import { berthPath } from '../shared/berth-root.ts';
import { cachedStargz, CONVERTER, STARGZ_MANIFEST, type StargzBuild, type StargzManifest } from './lazy-pulling.ts';
import { writePayload } from './feature-payload.ts';
import { run, withPrivateApt } from './private-apt.ts';

const SUITE = 'forky';
const LIBRARY = 'golang-github-containerd-stargz-snapshotter-dev';
const CONVERTER_PACKAGE = 'stargz-snapshotter';

/** Every golang-* package the library needs, forky's Go toolchain included. */
function goPackages(list: string): string[] {
  return [
    ...new Set(
      list
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^golang-[a-z0-9.+-]+$/.test(l)),
    ),
  ].sort();
}

/**
 * The package's own converter (ctr-remote, from forky's stargz-snapshotter, which carries Debian's
 * fix for the Go 1.27 footer panic that dockerd's vendored copy lacks) beside the snapshotter.
 */
function fetchConverter(build: StargzBuild, log: (line: string) => void): StargzBuild {
  if (build.manifest.converter === CONVERTER && fs.existsSync(path.join(build.dir, CONVERTER))) return build;
  return withPrivateApt({ suites: [SUITE] }, ({ opts, work }) => {
    const debs = path.join(work, 'debs');
    log(`downloading ${CONVERTER_PACKAGE} from ${SUITE} (${CONVERTER})`);
    run('apt-get', [...opts, '-qq', 'download', `${CONVERTER_PACKAGE}/${SUITE}`], debs);
    const deb = fs.readdirSync(debs).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`${SUITE} has no ${CONVERTER_PACKAGE}`);
    run('dpkg-deb', ['-x', path.join(debs, deb), path.join(work, 'x')]);
    const dest = path.join(build.dir, CONVERTER);
    fs.copyFileSync(path.join(work, 'x', 'usr', 'bin', CONVERTER), `${dest}.tmp`);
    fs.chmodSync(`${dest}.tmp`, 0o755);
    fs.renameSync(`${dest}.tmp`, dest);
    // The manifest changes with it, so a VM holding the build without the converter gets it.
    const manifest: StargzManifest = { ...build.manifest, converter: CONVERTER };
    fs.writeFileSync(path.join(build.dir, STARGZ_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    return { dir: build.dir, manifest };
  });
}

/** A Go command built with the same library tree, into downloads/stargz-tools-<version>/<name>. */
export interface StargzTool {
  name: string;
  /** Its main.go: it may import the stargz library and what the library imports. */
  mainGo: string;
}

export function stargzToolPath(version: string, name: string, downloads = downloadsDir()): string {
  return path.join(downloads, `stargz-tools-${version}`, name);
}

export function buildStargz(
  downloads = downloadsDir(),
  log: (line: string) => void = () => {},
  tools: readonly StargzTool[] = [],
): StargzBuild {
  const cached = cachedStargz(downloads);
  const missing = tools.filter(
    (t) => !cached || !fs.existsSync(stargzToolPath(cached.manifest.version, t.name, downloads)),
  );
  if (cached && !missing.length) return fetchConverter(cached, log);
  return fetchConverter(
    withGoTree(log, (tree) => {
      for (const t of missing) {
        const out = stargzToolPath(tree.version, t.name, downloads);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        log(`building ${t.name} with the stargz library ${tree.version}`);
        tree.build(t.name, t.mainGo, `${out}.tmp`);
        fs.renameSync(`${out}.tmp`, out);
      }
      return cached ?? buildSnapshotter(tree, downloads, log);
    }),
    log,
  );
}

interface GoTree {
  version: string;
  /** The toolchain's directory name, e.g. go-1.27. */
  goroot: string;
  /** go build of one main package, static. */
  build(name: string, mainGo: string, out: string): void;
}

/** forky's Go and the library's -dev packages unpacked in a scratch directory (GOPATH mode). */
function withGoTree<T>(log: (line: string) => void, fn: (tree: GoTree) => T): T {
  return withPrivateApt({ suites: [SUITE] }, ({ opts, work }) => {
    const deps = run('apt-cache', [
      ...opts,
      'depends',
      '--recurse',
      '--no-recommends',
      '--no-suggests',
      '--no-conflicts',
      '--no-breaks',
      '--no-replaces',
      '--no-enhances',
      LIBRARY,
      'golang-go',
    ]);
    const pkgs = goPackages(deps);
    const debs = path.join(work, 'debs');
    log(`downloading ${pkgs.length} Go packages from ${SUITE}`);
    run('apt-get', [...opts, '-qq', 'download', ...pkgs], debs);
    const tree = path.join(work, 'tree');
    let version = '';
    for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      run('dpkg-deb', ['-x', path.join(debs, deb), tree]);
      if (deb.startsWith(`${LIBRARY}_`)) version = run('dpkg-deb', ['-f', path.join(debs, deb), 'Version']).trim();
    }
    if (!version) throw new Error(`${SUITE} has no ${LIBRARY}`);
    const goroot = fs
      .readdirSync(path.join(tree, 'usr', 'lib'))
      .filter((d) => /^go-\d/.test(d))
      .sort()
      .pop();
    if (!goroot) throw new Error(`no Go toolchain among the ${SUITE} packages`);
    const GOROOT = path.join(tree, 'usr', 'lib', goroot);
    const gopath = path.join(work, 'gopath');
    // GOPATH mode, as Debian builds Go: the -dev packages are the source tree, no module download.
    const env = {
      ...process.env,
      GOROOT,
      GOPATH: `${gopath}:${path.join(tree, 'usr', 'share', 'gocode')}`,
      GO111MODULE: 'off',
      GOTOOLCHAIN: 'local',
      GOPROXY: 'off',
      CGO_ENABLED: '0',
      GOCACHE: path.join(work, 'gocache'),
      GOFLAGS: '',
    };
    return fn({
      version,
      goroot,
      build(name, mainGo, out) {
        const src = path.join(gopath, 'src', 'berth', name);
        fs.mkdirSync(src, { recursive: true });
        fs.copyFileSync(mainGo, path.join(src, 'main.go'));
        const r = spawnSync(
          path.join(GOROOT, 'bin', 'go'),
          ['build', '-trimpath', '-ldflags', '-s -w', '-o', out, `berth/${name}`],
          { env, encoding: 'utf8', maxBuffer: 16 << 20 },
        );
        if (r.status !== 0)
          throw new Error(
            `go build ${name} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-5).join(' / ')}`,
          );
      },
    });
  });
}

function buildSnapshotter(tree: GoTree, downloads: string, log: (line: string) => void): StargzBuild {
  log(`building containerd-stargz-grpc ${tree.version} with Go from ${tree.goroot}`);
  return writePayload(
    `stargz-${tree.version}`,
    STARGZ_MANIFEST,
    (tmp): StargzManifest => {
      tree.build(
        'containerd-stargz-grpc',
        berthPath('engine', 'host', 'stargz-grpc', 'main.go'),
        path.join(tmp, 'containerd-stargz-grpc'),
      );
      return {
        version: tree.version,
        suite: SUITE,
        go: tree.goroot,
        builtAt: new Date().toISOString(),
      };
    },
    downloads,
  );
}
