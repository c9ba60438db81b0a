// Where a packaged app finds what a checkout builds: the guest agent bundle and the VM image,
// shipped as extra resources (electron-builder.yml). The image directory is read-only inside an
// installed app, while locateImage() decompresses the root image next to its archive, so the
// app points BERTH_IMAGE_DIR at a directory in the data dir that links to the shipped files.
import fs from 'node:fs';
import path from 'node:path';
import { IMAGE_FILES } from '../../../engine/image/recipe.ts';
import type { DataDir } from '../../../engine/host/paths.ts';

/** Layout under process.resourcesPath, as electron-builder.yml's extraResources put it. */
export const RESOURCE_LAYOUT = { vmDir: 'vm', agentBundle: 'agent/agent.mjs' } as const;
export const SHIPPED_IMAGE_FILES = [IMAGE_FILES.kernel, IMAGE_FILES.initrd, IMAGE_FILES.rootfsZst] as const;
/** Shipped when the image has it (the formatted data disk a new install starts from). */
export const OPTIONAL_IMAGE_FILES = [IMAGE_FILES.dataTemplate] as const;

/** The writable image directory a packaged app boots from. */
export function imageMirrorDir(data: DataDir): string {
  return path.join(data.vmDir, 'image');
}

/**
 * Links (or, where links are not allowed, copies) the shipped kernel, initrd and root archive into
 * `target`. When the shipped archive changed (an app update), the decompressed root is removed so
 * it is made again from the new one; the data disk is not touched.
 */
export function prepareImageMirror(shipped: string, target: string): void {
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const zst = fs.statSync(path.join(shipped, IMAGE_FILES.rootfsZst));
  const stamp = `${path.resolve(shipped)}\n${zst.size}:${Math.round(zst.mtimeMs)}\n`;
  const stampFile = path.join(target, 'source');
  const current = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp;
  if (current && SHIPPED_IMAGE_FILES.every((f) => fs.existsSync(path.join(target, f)))) return;
  fs.rmSync(path.join(target, IMAGE_FILES.rootfs), { force: true });
  const optional = OPTIONAL_IMAGE_FILES.filter((f) => fs.existsSync(path.join(shipped, f)));
  for (const f of OPTIONAL_IMAGE_FILES) fs.rmSync(path.join(target, f), { force: true });
  for (const f of [...SHIPPED_IMAGE_FILES, ...optional]) {
    const to = path.join(target, f);
    fs.rmSync(to, { force: true });
    try {
      fs.symlinkSync(path.join(shipped, f), to);
    } catch {
      fs.copyFileSync(path.join(shipped, f), to);
    }
  }
  fs.writeFileSync(stampFile, stamp);
}

/** Sets BERTH_AGENT_BUNDLE and BERTH_IMAGE_DIR for a packaged app (unless already set). */
export function configurePackagedEnv(resourcesPath: string, data: DataDir, env: NodeJS.ProcessEnv = process.env): void {
  env.BERTH_AGENT_BUNDLE ??= path.join(resourcesPath, RESOURCE_LAYOUT.agentBundle);
  if (!env.BERTH_IMAGE_DIR) {
    const target = imageMirrorDir(data);
    prepareImageMirror(path.join(resourcesPath, RESOURCE_LAYOUT.vmDir), target);
    env.BERTH_IMAGE_DIR = target;
  }
}
