// Docker operations the engine tests repeat, on dockerode.
import type Docker from 'dockerode';
import { scratchContext } from './scratch-image.ts';

export async function buildScratch(docker: Docker, tag: string, marker = tag): Promise<string> {
  return buildImage(docker, scratchContext(marker), { t: tag });
}

/** Builds a tar context (with dockerd's own builder, as `docker build` without buildx does); resolves to the image id. */
export async function buildImage(
  docker: Docker,
  context: NodeJS.ReadableStream,
  opts: { t: string; platform?: string },
): Promise<string> {
  const tag = opts.t;
  const stream = await docker.buildImage(context, opts);
  const out = await new Promise<Array<{ error?: string; stream?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) =>
      err ? reject(err) : resolve(res),
    );
  });
  const failed = out.find((m) => m.error);
  if (failed) throw new Error(`build of ${tag} failed: ${failed.error}`);
  return (await docker.getImage(tag).inspect()).Id;
}

/** Runs a container to completion and returns its exit code and output. */
export async function runToEnd(
  docker: Docker,
  image: string,
  cmd: string[],
): Promise<{ code: number; output: string }> {
  const c = await docker.createContainer({ Image: image, Cmd: cmd, Tty: true });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const logs = await c.logs({ stdout: true, stderr: true });
    return { code: StatusCode, output: logs.toString() };
  } finally {
    await c.remove({ force: true });
  }
}
