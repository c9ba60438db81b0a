// Folds the engine's JSON progress messages (pull and push) into one progress record: per-layer
// state and an overall percentage over the bytes whose size the engine has announced.
import { z } from 'zod';
import type { LayerProgress, TransferProgress } from '../api/docker-types.ts';

export const EngineProgressMessageSchema = z.object({
  status: z.string().optional(),
  id: z.string().optional(),
  progressDetail: z.object({ current: z.number().optional(), total: z.number().optional() }).partial().optional(),
  error: z.string().optional(),
  errorDetail: z.object({ message: z.string().optional() }).optional(),
  aux: z.object({ Digest: z.string().optional() }).partial().optional(),
});
export type EngineProgressMessage = z.infer<typeof EngineProgressMessageSchema>;

// Statuses after which a layer's bytes are all transferred.
const TRANSFERRED =
  /^(download complete|verifying checksum|extracting|pull complete|already exists|pushed|layer already exists|mounted from|exists)/i;
const FINISHED = /^(pull complete|already exists|pushed|layer already exists|mounted from|exists)/i;

interface LayerState {
  status: string;
  current?: number;
  total?: number;
}

export class TransferTracker {
  private layers = new Map<string, LayerState>();
  private status = 'Waiting';
  private error: string | undefined;
  private finished = false;
  digest: string | undefined;

  constructor(
    readonly opId: string,
    readonly kind: 'pull' | 'push',
    readonly ref: string,
  ) {}

  update(raw: unknown): TransferProgress {
    const parsed = EngineProgressMessageSchema.safeParse(raw);
    if (!parsed.success) return this.snapshot();
    const m = parsed.data;
    if (m.error || m.errorDetail?.message) this.error = m.errorDetail?.message ?? m.error;
    if (m.aux?.Digest) this.digest = m.aux.Digest;
    if (!m.status) return this.snapshot();
    const isLayer =
      m.id !== undefined && !/^(pulling from|the push refers to)/i.test(m.status) && !m.status.includes(':');
    if (!isLayer) {
      this.status = m.status;
      return this.snapshot();
    }
    const id = m.id!;
    const layer = this.layers.get(id) ?? { status: '' };
    layer.status = m.status;
    const d = m.progressDetail;
    // Download/upload bytes; the extract phase reports its own counter, which is not transfer.
    if (d?.total && !/^extracting/i.test(m.status)) {
      layer.total = d.total;
      layer.current = d.current ?? 0;
    }
    if (TRANSFERRED.test(m.status) && layer.total) layer.current = layer.total;
    this.layers.set(id, layer);
    this.status = `${m.status} ${id}`;
    return this.snapshot();
  }

  finish(error?: string): TransferProgress {
    this.finished = true;
    if (error) this.error = error;
    return this.snapshot();
  }

  get failed(): string | undefined {
    return this.error;
  }

  snapshot(): TransferProgress {
    const layers: LayerProgress[] = [...this.layers].map(([id, l]) => ({
      id,
      status: l.status,
      current: l.current,
      total: l.total,
    }));
    let total = 0;
    let current = 0;
    for (const l of this.layers.values()) {
      if (!l.total) continue;
      total += l.total;
      current += Math.min(l.current ?? 0, l.total);
    }
    const allFinished = this.layers.size > 0 && [...this.layers.values()].every((l) => FINISHED.test(l.status));
    let percent: number | null = total > 0 ? Math.min(100, (current / total) * 100) : null;
    if ((this.finished && !this.error) || (allFinished && percent === null)) percent = 100;
    return {
      opId: this.opId,
      kind: this.kind,
      ref: this.ref,
      status: this.error ? `Error: ${this.error}` : this.status,
      percent: percent === null ? null : Math.round(percent * 10) / 10,
      layers,
      done: this.finished,
      ...(this.error ? { error: this.error } : {}),
    };
  }
}
