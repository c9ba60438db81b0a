// What a host writes down about the VM it runs (run/vm.json, 0600), so that the next host can
// adopt that VM when this one dies: the QEMU pid, what the VM was booted from and with (its key),
// and what status reports about it. Written once the engine runs, removed when it stops cleanly.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { AcceleratorSchema, EngineStatusSchema, FileSharingStatusSchema } from './engine-types.ts';
import type { DataDir } from './paths.ts';
import type { VmImage } from '../image/vm-image.ts';

export const VmRecordSchema = z.object({
  pid: z.number().int().positive(),
  /** Which host build, QEMU, image and resources booted it (vmKey): another key is not adopted. */
  key: z.string(),
  sshPort: z.number().int().positive(),
  accel: AcceleratorSchema,
  acceleratorReason: z.string(),
  startedAt: z.string(),
  bootMs: z.number().optional(),
  fileSharing: FileSharingStatusSchema.optional(),
  /** The daemon.json dockerd runs on, as Berth last applied it: an adoption with nothing cut off applies nothing. */
  daemonJson: z.string().optional(),
  versions: EngineStatusSchema.shape.versions,
});
export type VmRecord = z.infer<typeof VmRecordSchema>;

export interface VmKeyParts {
  binary: string;
  image: VmImage;
  cpus: number;
  memoryMiB: number;
  fileSharing: string[];
  extraQemuArgs: string[];
}

/** Everything a running VM cannot change without a reboot, as one hash. */
export function vmKey(p: VmKeyParts): string {
  const parts = {
    ...p,
    fileSharing: [...p.fileSharing].sort(),
    image: [p.image.kernel, p.image.initrd, p.image.rootfs],
  };
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export function writeVmRecord(data: DataDir, record: VmRecord): void {
  const file = data.vmRecordFile;
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** The record, or null when there is none or it cannot be read (then nothing is adopted). */
export function readVmRecord(data: DataDir): VmRecord | null {
  try {
    const r = VmRecordSchema.safeParse(JSON.parse(fs.readFileSync(data.vmRecordFile, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** The engine's configuration changed (a switch, daemon.json keys): the record follows. */
export function updateVmRecord(data: DataDir, patch: Partial<VmRecord>): void {
  const r = readVmRecord(data);
  if (r) writeVmRecord(data, { ...r, ...patch });
}

export function removeVmRecord(data: DataDir): void {
  fs.rmSync(data.vmRecordFile, { force: true });
}
