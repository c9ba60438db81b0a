// Helpers for the dashboard e2e: an image with a layer big enough for the pull to show progress,
// pushed to the loopback registry from the VM, then removed so the store starts empty again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import type { Page } from 'playwright-core';

export function bigImageContext(marker: string, megabytes: number): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry(
    { name: 'Dockerfile' },
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY blob /blob\nCOPY marker /marker\nENTRYPOINT ["/bin/busybox"]\n',
  );
  pack.entry({ name: 'busybox', mode: 0o755 }, fs.readFileSync('/bin/busybox'));
  // Random bytes do not compress: the registry serves the whole layer and the pull takes a while.
  pack.entry({ name: 'blob' }, crypto.randomBytes(megabytes * 1_000_000));
  pack.entry({ name: 'marker' }, `${marker}\n`);
  pack.finalize();
  return Readable.from(pack);
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  const out = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) =>
      err ? reject(err) : resolve(res),
    );
  });
  const failed = out.find((m) => m.error);
  if (failed) throw new Error(failed.error);
}

/** Builds ref in the VM, pushes it to the registry and deletes it locally. */
export async function seedRegistry(docker: Docker, ref: string, marker: string, megabytes = 24): Promise<void> {
  await follow(docker, await docker.buildImage(bigImageContext(marker, megabytes), { t: ref }));
  await follow(
    docker,
    (await docker.getImage(ref).push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream,
  );
  await docker.getImage(ref).remove({ force: true });
  await docker.pruneBuilder().catch(() => undefined);
}

/** Every view's screenshot goes to test-results/dashboard/<n>-<name>.png. */
export function screenshotter(page: Page, dir: string): (name: string) => Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (name) => {
    const file = `${dir}/${String(++n).padStart(2, '0')}-${name}.png`;
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}
