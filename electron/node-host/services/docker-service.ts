// DockerService on dockerode over the forwarded engine socket. Errors keep the engine's words.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { ApiError, type SystemInfo } from '../api/contract.ts';
import { withDefaultTag, type Container, type ImageList, type LogChunk, type RunSpec } from '../api/docker-types.ts';
import type { DockerService } from './services.ts';
import { TransferTracker } from './transfer-progress.ts';
import { storeFromDriverStatus } from '../../../engine/shared/image-store.ts';

/** The engine's own message from a dockerode error ("(HTTP code 409) conflict - …" → "conflict: …"). */
export function engineError(e: unknown): ApiError {
  const err = e as { json?: { message?: string } | null; reason?: string; statusCode?: number; message?: string };
  const message = err.json?.message ?? err.message ?? String(e);
  return new ApiError(message, err.statusCode && err.statusCode >= 400 ? err.statusCode : 500);
}

async function engine<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw engineError(e);
  }
}

export function splitRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

export class DockerodeService implements DockerService {
  constructor(private readonly docker: () => Docker) {}

  async info(): Promise<SystemInfo> {
    const i = (await engine(this.docker().info())) as {
      Driver: string;
      ServerVersion: string;
      DriverStatus?: string[][] | null;
    };
    return {
      activeStore: storeFromDriverStatus(i.DriverStatus as Array<[string, string]> | null | undefined),
      storageDriver: i.Driver,
      serverVersion: i.ServerVersion,
    };
  }

  async listContainers(): Promise<Container[]> {
    const list = await engine(this.docker().listContainers({ all: true }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      image: c.Image,
      imageId: c.ImageID,
      state: c.State,
      status: c.Status,
      created: c.Created,
      ports: c.Ports.map((p) => ({ ip: p.IP, privatePort: p.PrivatePort, publicPort: p.PublicPort, type: p.Type })),
    }));
  }

  async startContainer(id: string): Promise<void> {
    await engine(this.docker().getContainer(id).start());
  }
  async stopContainer(id: string): Promise<void> {
    await engine(this.docker().getContainer(id).stop());
  }
  async restartContainer(id: string): Promise<void> {
    await engine(this.docker().getContainer(id).restart());
  }
  async removeContainer(id: string, force: boolean): Promise<void> {
    await engine(this.docker().getContainer(id).remove({ force }));
  }

  async followLogs(id: string, tail: number, onChunk: (c: LogChunk) => void): Promise<() => void> {
    const c = this.docker().getContainer(id);
    const info = await engine(c.inspect());
    const stream = (await engine(
      c.logs({ follow: true, stdout: true, stderr: true, tail }),
    )) as unknown as NodeJS.ReadableStream & { destroy(): void };
    const emit = (s: 'stdout' | 'stderr') => (d: Buffer) =>
      onChunk({ containerId: id, stream: s, text: d.toString('utf8') });
    if (info.Config.Tty) stream.on('data', emit('stdout'));
    else {
      // Without a TTY the engine multiplexes stdout and stderr into one framed stream.
      const out = new PassThrough();
      const err = new PassThrough();
      out.on('data', emit('stdout'));
      err.on('data', emit('stderr'));
      this.docker().modem.demuxStream(stream, out, err);
    }
    stream.on('error', () => undefined);
    return () => stream.destroy();
  }

  async listImages(): Promise<ImageList> {
    const d = this.docker();
    const [images, containers] = await Promise.all([
      engine(d.listImages({ all: false })),
      engine(d.listContainers({ all: true })),
    ]);
    const usedBy = new Map<string, string[]>();
    for (const c of containers) {
      const names = usedBy.get(c.ImageID) ?? [];
      names.push((c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''));
      usedBy.set(c.ImageID, names);
    }
    const list = images.map((i) => {
      const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      return {
        id: i.Id,
        repoTags: tags,
        repoDigests: (i.RepoDigests ?? []).filter((t) => !t.startsWith('<none>')),
        created: i.Created,
        size: i.Size,
        usedBy: usedBy.get(i.Id) ?? [],
        dangling: tags.length === 0,
      };
    });
    return { images: list, totalBytes: await this.layersSize(d).catch(() => list.reduce((n, i) => n + i.size, 0)) };
  }

  /** docker system df's LayersSize: what the images take on disk with shared layers counted once. */
  private layersSize(d: Docker): Promise<number> {
    return new Promise((resolve, reject) => {
      d.modem.dial(
        { path: '/system/df?', method: 'GET', options: { type: 'image' }, statusCodes: { 200: true } },
        (err: unknown, data: unknown) => {
          const size = (data as { LayersSize?: number } | undefined)?.LayersSize;
          if (err || typeof size !== 'number') reject(err ?? new Error('no LayersSize'));
          else resolve(size);
        },
      );
    });
  }

  async pull(
    ref: string,
    onProgress: (p: import('../api/docker-types.ts').TransferProgress) => void,
    opId: string,
  ): Promise<{ ref: string; id: string }> {
    const full = withDefaultTag(ref);
    const tracker = new TransferTracker(opId, 'pull', full);
    onProgress(tracker.snapshot());
    try {
      const stream = await engine(this.docker().pull(full) as Promise<NodeJS.ReadableStream>);
      await this.follow(stream, tracker, onProgress);
      if (tracker.failed) throw new ApiError(tracker.failed);
      const id = (await engine(this.docker().getImage(full).inspect())).Id;
      onProgress(tracker.finish());
      return { ref: full, id };
    } catch (e) {
      onProgress(tracker.finish((e as Error).message));
      throw e;
    }
  }

  async push(
    ref: string,
    onProgress: (p: import('../api/docker-types.ts').TransferProgress) => void,
    opId: string,
  ): Promise<{ ref: string; digest?: string }> {
    const full = withDefaultTag(ref);
    const tracker = new TransferTracker(opId, 'push', full);
    onProgress(tracker.snapshot());
    try {
      // The engine wants an X-Registry-Auth header even for anonymous pushes.
      const stream = await engine(
        this.docker()
          .getImage(full)
          .push({ authconfig: {} } as never) as unknown as Promise<NodeJS.ReadableStream>,
      );
      await this.follow(stream, tracker, onProgress);
      if (tracker.failed) throw new ApiError(tracker.failed);
      onProgress(tracker.finish());
      return { ref: full, ...(tracker.digest ? { digest: tracker.digest } : {}) };
    } catch (e) {
      onProgress(tracker.finish((e as Error).message));
      throw e;
    }
  }

  private follow(
    stream: NodeJS.ReadableStream,
    tracker: TransferTracker,
    onProgress: (p: import('../api/docker-types.ts').TransferProgress) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.docker().modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(engineError(err)) : resolve()),
        (msg: unknown) => onProgress(tracker.update(msg)),
      );
    });
  }

  async tag(source: string, target: string): Promise<void> {
    await engine(this.docker().getImage(source).tag(splitRef(target)));
  }

  async removeImage(id: string, force: boolean): Promise<string[]> {
    const out = (await engine(this.docker().getImage(id).remove({ force }))) as unknown as Array<{
      Untagged?: string;
      Deleted?: string;
    }>;
    return out.map((r) => r.Untagged ?? r.Deleted ?? '').filter(Boolean);
  }

  async run(spec: RunSpec): Promise<{ id: string; name: string }> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostPort: string }>> = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostPort: String(p.hostPort) });
    }
    const c = await engine(
      this.docker().createContainer({
        Image: spec.image,
        ...(spec.name ? { name: spec.name } : {}),
        Env: spec.env.map((e) => `${e.name}=${e.value}`),
        ExposedPorts: exposed,
        HostConfig: { PortBindings: bindings },
      }),
    );
    await engine(c.start());
    const info = await engine(c.inspect());
    return { id: c.id, name: info.Name.replace(/^\//, '') };
  }

  async watch(onChange: (kind: 'container' | 'image') => void, onEnd: (err?: Error) => void): Promise<() => void> {
    const stream = (await engine(
      this.docker().getEvents({ filters: { type: ['container', 'image'] } }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    let buf = '';
    let stopped = false;
    stream.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line) as { Type?: string };
          if (ev.Type === 'container' || ev.Type === 'image') onChange(ev.Type);
        } catch {
          /* a partial or foreign line: ignore */
        }
      }
    });
    const end = (err?: Error): void => {
      if (!stopped) {
        stopped = true;
        onEnd(err);
      }
    };
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', (e: Error) => end(e));
    return () => {
      stopped = true;
      stream.destroy();
    };
  }
}
