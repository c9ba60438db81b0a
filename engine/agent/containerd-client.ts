// containerd's images and content services over its gRPC socket, namespace "moby" (dockerd's).
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { rootFromDescriptor } from '../proto/load.ts';
import subsetProto from '../proto/containerd_subset.proto';

const SOCKET = 'unix:///run/containerd/containerd.sock';
const PKG = 'containerd.services.v1subset';

export interface Descriptor {
  media_type: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
export interface CtrImage {
  name: string;
  labels?: Record<string, string>;
  target: Descriptor;
}

export class ContainerdClient {
  private readonly client = new grpc.Client(SOCKET, grpc.credentials.createInsecure());
  private readonly root: protobuf.Root = rootFromDescriptor(subsetProto);
  private readonly meta = new grpc.Metadata();

  constructor(namespace = 'moby') {
    this.meta.set('containerd-namespace', namespace);
  }

  private codec(name: string): { ser: (v: object) => Buffer; de: (b: Buffer) => Record<string, unknown> } {
    const t = this.root.lookupType(`${PKG}.${name}`);
    return {
      ser: (v) => Buffer.from(t.encode(t.fromObject(v)).finish()),
      de: (b) => t.toObject(t.decode(b), { longs: Number, defaults: true }) as Record<string, unknown>,
    };
  }

  private unary(method: string, req: string, res: string, body: object): Promise<Record<string, unknown>> {
    const a = this.codec(req);
    const b = this.codec(res);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method,
        a.ser,
        b.de,
        body,
        this.meta,
        { deadline: Date.now() + 30_000 },
        (err, value) => (err || !value ? reject(err ?? new Error('empty reply')) : resolve(value)),
      );
    });
  }

  async listImages(): Promise<CtrImage[]> {
    const r = await this.unary(
      '/containerd.services.images.v1.Images/List',
      'ListImagesRequest',
      'ListImagesResponse',
      {},
    );
    return (r.images as CtrImage[] | undefined) ?? [];
  }

  /** The blob's size, or null when it is not in the content store. */
  async blobSize(digest: string): Promise<number | null> {
    try {
      const r = await this.unary('/containerd.services.content.v1.Content/Info', 'InfoRequest', 'InfoResponse', {
        digest,
      });
      return Number((r.info as { size?: number } | undefined)?.size ?? 0);
    } catch (e) {
      if ((e as grpc.ServiceError).code === grpc.status.NOT_FOUND) return null;
      throw e;
    }
  }

  readBlob(digest: string): Promise<Buffer> {
    const a = this.codec('ReadContentRequest');
    const b = this.codec('ReadContentResponse');
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const call = this.client.makeServerStreamRequest(
        '/containerd.services.content.v1.Content/Read',
        a.ser,
        b.de,
        { digest },
        this.meta,
      );
      call.on('data', (m: Record<string, unknown>) => chunks.push(Buffer.from(m.data as Uint8Array)));
      call.on('error', reject);
      call.on('end', () => resolve(Buffer.concat(chunks)));
    });
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.readBlob(digest)).toString('utf8')) as T;
  }

  close(): void {
    this.client.close();
  }
}
