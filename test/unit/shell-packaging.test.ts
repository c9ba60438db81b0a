// electron-builder.yml against the tree after the build steps that produce what it names
// (renderer, agent bundle, preload, staged VM image): every path exists, the config passes
// electron-builder's own schema, every module the main process imports is packaged, and the
// packaged app finds its resources where the config puts them.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinModules, createRequire } from 'node:module';
import { build } from 'esbuild';
import { z } from 'zod';
import { AGENT_BUNDLE, buildAgent } from '../../engine/agent/build.ts';
import { DataDir } from '../../engine/host/paths.ts';
import { buildRenderer } from '../../electron/node-host/cli/dashboard-command.ts';
import { STAGED_IMAGE_DIR, stageImage } from '../../electron/shell/main/build-app.ts';
import { imageComplete, imageDir } from '../../engine/image/locate.ts';
import {
  RESOURCE_LAYOUT,
  SHIPPED_IMAGE_FILES,
  configurePackagedEnv,
  imageMirrorDir,
  prepareImageMirror,
} from '../../electron/shell/main/packaged-resources.ts';
import { APP_ROOT, SHELL_PATHS } from '../../electron/shell/main/paths.ts';
import { buildPreload } from '../../electron/shell/preload/build.ts';

const require = createRequire(import.meta.url);
const target = z.union([z.string(), z.array(z.string())]).transform((t) => (Array.isArray(t) ? t : [t]));
const ConfigSchema = z
  .object({
    appId: z.string(),
    productName: z.literal('Berth'),
    asar: z.boolean(),
    extraMetadata: z.object({ main: z.string() }),
    directories: z.object({ output: z.string(), buildResources: z.string() }),
    files: z.array(z.string()),
    extraResources: z.array(z.object({ from: z.string(), to: z.string(), filter: z.array(z.string()).optional() })),
    linux: z.object({ target, icon: z.string() }),
    mac: z.object({ target, icon: z.string() }),
    win: z.object({ target, icon: z.string() }),
    deb: z.object({ depends: z.array(z.string()) }),
  })
  .passthrough();

const yml = fs.readFileSync(path.join(APP_ROOT, 'electron-builder.yml'), 'utf8');
const raw = (require('js-yaml') as { load(s: string): unknown }).load(yml);
const config = ConfigSchema.parse(raw);
const at = (p: string): string => path.join(APP_ROOT, p);

function pngWidth(file: string): number {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(1, 4).toString(), 'PNG', file);
  return b.readUInt32BE(16);
}

/** `dir/**` matches everything under dir; anything else is one file. */
function packaged(rel: string): boolean {
  return config.files.some((p) => (p.endsWith('/**') ? rel.startsWith(p.slice(0, -2)) : rel === p));
}

/**
 * scripts/test.sh builds a changed recipe's image while the unit tests run: while a build of it
 * is under way (its staging dir exists), wait for it rather than race it.
 */
async function imageBuilt(timeoutMs = 15 * 60_000): Promise<void> {
  const dir = imageDir();
  const building = (): boolean =>
    fs.readdirSync(path.dirname(dir)).some((n) => n.startsWith(`${path.basename(dir)}.partial-`));
  for (
    const until = Date.now() + timeoutMs;
    !imageComplete(dir) && fs.existsSync(path.dirname(dir)) && building() && Date.now() < until;
  ) {
    await new Promise((r) => setTimeout(r, 2000));
  }
}

describe('electron-builder.yml', () => {
  before(async () => {
    if (!fs.existsSync(path.join(SHELL_PATHS.rendererDir, 'index.html'))) await buildRenderer();
    if (!fs.existsSync(AGENT_BUNDLE)) await buildAgent();
    await buildPreload();
    await imageBuilt();
    stageImage();
  });

  it("passes electron-builder's own configuration schema", async () => {
    const builderRequire = createRequire(require.resolve('electron-builder'));
    const { validateConfiguration } = builderRequire('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(c: unknown, log: { isEnabled: boolean; add(k: string, v: unknown): void }): Promise<void>;
    };
    await validateConfiguration(raw, { isEnabled: false, add: () => undefined });
    await assert.rejects(
      validateConfiguration(
        { ...(raw as object), linux: { targets: 'AppImage' } },
        { isEnabled: false, add: () => undefined },
      ),
      /configuration\.linux/,
      'the schema check is real',
    );
  });

  it('builds AppImage and deb, dmg, and an NSIS installer', () => {
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
    assert.deepEqual(config.mac.target, ['dmg']);
    assert.deepEqual(config.win.target, ['nsis']);
    for (const dep of ['qemu-system-x86', 'qemu-utils', 'zstd', 'libgtk-3-0', 'libnss3'])
      assert.ok(config.deb.depends.includes(dep), dep);
  });

  it('names only files and directories that exist after the build', () => {
    for (const p of config.files) {
      if (p.startsWith('!')) continue;
      if (p.endsWith('/**')) {
        const dir = at(p.slice(0, -3));
        assert.ok(fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length > 0, `${p}: a non-empty directory`);
      } else assert.ok(fs.statSync(at(p)).isFile(), `${p}: a file`);
    }
    assert.ok(fs.existsSync(at(config.extraMetadata.main)), 'the main entry');
    assert.ok(packaged(config.extraMetadata.main), 'the main entry is packaged');
    assert.ok(fs.statSync(at(config.directories.buildResources)).isDirectory());
    for (const r of config.extraResources) {
      assert.ok(fs.existsSync(at(r.from)), `extra resource ${r.from}`);
      for (const f of r.filter ?? []) assert.ok(fs.statSync(path.join(at(r.from), f)).size > 0, `${r.from}/${f}`);
    }
  });

  it('ships the VM kernel, initrd and root image and the agent where the app looks for them', () => {
    const vm = config.extraResources.find((r) => r.to === RESOURCE_LAYOUT.vmDir);
    assert.ok(vm, 'the VM image goes to resources/vm');
    assert.equal(path.resolve(at(vm.from)), STAGED_IMAGE_DIR);
    assert.deepEqual([...(vm.filter ?? [])].sort(), [...SHIPPED_IMAGE_FILES].sort());
    const agent = config.extraResources.find((r) => r.to === RESOURCE_LAYOUT.agentBundle);
    assert.ok(agent, 'the agent goes to resources/agent/agent.mjs');
    assert.equal(path.resolve(at(agent.from)), AGENT_BUNDLE);
    assert.ok(fs.statSync(AGENT_BUNDLE).size > 10_000);
  });

  it('has real icons: Linux sizes, 1024 px for macOS and Windows, the tray states', () => {
    const pngs = fs.readdirSync(at(config.linux.icon)).filter((f) => f.endsWith('.png'));
    assert.ok(pngs.includes('512x512.png') && pngs.includes('256x256.png'), pngs.join());
    for (const f of pngs) assert.equal(pngWidth(path.join(at(config.linux.icon), f)), Number(f.split('x')[0]));
    assert.ok(pngWidth(at(config.mac.icon)) >= 512);
    assert.ok(pngWidth(at(config.win.icon)) >= 256);
    assert.ok(
      packaged('assets/tray/running.png') && packaged('assets/icons/256x256.png'),
      'the window and tray icons are packaged',
    );
  });

  it('packages every module the main process loads, and every package it imports is a production dependency', async () => {
    const r = await build({
      entryPoints: [path.join(APP_ROOT, 'electron/shell/main/entry.mjs')],
      absWorkingDir: APP_ROOT,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      external: ['electron'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    assert.ok(
      inputs.includes('electron/shell/main/app.ts') &&
        inputs.includes('electron/node-host/services/api-handler.ts') &&
        inputs.includes('engine/host/engine-controller.ts'),
      'the graph was followed',
    );
    const missing = inputs.filter((f) => !packaged(f));
    assert.deepEqual(missing, [], 'loaded by the main process but not in files');
    // Read at run time by path, not imported.
    assert.ok(packaged('engine/proto/berth_agent.proto'));
    assert.ok(packaged(path.relative(APP_ROOT, SHELL_PATHS.preload)) && packaged('dist/renderer/index.html'));

    const external = new Set<string>();
    const files = new Set(inputs);
    for (const [file, input] of Object.entries(r.metafile.inputs)) {
      for (const imp of input.imports) {
        if (!imp.external) continue;
        // esbuild leaves some relative imports external; those are files of ours, not packages.
        if (imp.path.startsWith('.')) files.add(path.join(path.dirname(file), imp.path));
        else external.add(imp.path);
      }
    }
    assert.deepEqual(
      [...files].filter((f) => !packaged(f)),
      [],
      'loaded by the main process but not in files',
    );
    const pkgName = (spec: string): string =>
      spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
    const builtins = new Set(builtinModules);
    const packages = [...external]
      .filter((s) => !s.startsWith('node:') && !builtins.has(s) && s !== 'electron')
      .map(pkgName);
    // electron-builder ships the dependencies and what they depend on.
    const shipped = new Set<string>();
    const visit = (name: string): void => {
      if (shipped.has(name)) return;
      shipped.add(name);
      const pj = JSON.parse(fs.readFileSync(at(`node_modules/${name}/package.json`), 'utf8')) as {
        dependencies?: Record<string, string>;
        optionalDependencies?: Record<string, string>;
      };
      for (const d of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies }))
        if (fs.existsSync(at(`node_modules/${d}/package.json`))) visit(d);
    };
    const root = JSON.parse(fs.readFileSync(at('package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const d of Object.keys(root.dependencies)) visit(d);
    assert.ok(packages.includes('tsx') && packages.includes('zod'));
    assert.deepEqual(
      packages.filter((p) => !shipped.has(p)),
      [],
      'imported at run time but not shipped',
    );
  });
});

describe('packaged app resources', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-res-'));
  const resources = path.join(tmp, 'resources');
  const shipped = path.join(resources, RESOURCE_LAYOUT.vmDir);
  fs.mkdirSync(shipped, { recursive: true });
  for (const f of SHIPPED_IMAGE_FILES) fs.writeFileSync(path.join(shipped, f), `shipped ${f}`);

  it('boots from a writable mirror of the read-only shipped image, remade when the app updates', () => {
    const data = new DataDir(path.join(tmp, 'home'));
    const env: NodeJS.ProcessEnv = {};
    configurePackagedEnv(resources, data, env);
    assert.equal(env.BERTH_AGENT_BUNDLE, path.join(resources, 'agent', 'agent.mjs'));
    assert.equal(env.BERTH_IMAGE_DIR, imageMirrorDir(data));
    const mirror = env.BERTH_IMAGE_DIR;
    for (const f of SHIPPED_IMAGE_FILES) assert.equal(fs.readFileSync(path.join(mirror, f), 'utf8'), `shipped ${f}`);
    // locateImage() decompresses the root here; the mirror keeps it while the archive is the same.
    fs.writeFileSync(path.join(mirror, 'rootfs.img'), 'decompressed');
    prepareImageMirror(shipped, mirror);
    assert.equal(fs.readFileSync(path.join(mirror, 'rootfs.img'), 'utf8'), 'decompressed');
    // An update ships a new archive: the old decompressed root goes.
    fs.writeFileSync(path.join(shipped, 'rootfs.img.zst'), 'shipped rootfs.img.zst, version 2');
    prepareImageMirror(shipped, mirror);
    assert.equal(fs.existsSync(path.join(mirror, 'rootfs.img')), false);
    assert.equal(fs.readFileSync(path.join(mirror, 'rootfs.img.zst'), 'utf8'), 'shipped rootfs.img.zst, version 2');
    // An explicit BERTH_IMAGE_DIR wins.
    const env2: NodeJS.ProcessEnv = { BERTH_IMAGE_DIR: '/elsewhere' };
    configurePackagedEnv(resources, data, env2);
    assert.equal(env2.BERTH_IMAGE_DIR, '/elsewhere');
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
