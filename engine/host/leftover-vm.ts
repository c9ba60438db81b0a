// A VM an earlier host left running on this data dir (that host died, or an upgrade replaced it):
// adopted when its record says it is the VM this host would boot, so dockerd and its containers
// keep running; stopped otherwise. The record is what a host writes down once its engine runs.
import type { AcceleratorChoice } from './accelerator.ts';
import type { BootEnv, EngineBoot } from './engine-boot.ts';
import type { EngineStatus, StartStageName } from './engine-types.ts';
import type { ConnectGuest } from './guest-link.ts';
import type { DataDir } from './paths.ts';
import { poweroffOverSsh } from './stale-vm.ts';
import type { VmDriver } from './vm-driver.ts';
import { readVmRecord, removeVmRecord, vmKey, writeVmRecord, type VmRecord } from './vm-record.ts';
import type { VmImage } from '../image/vm-image.ts';

/** What adoption needs from the engine controller. */
export interface LeftoverHost {
  data: DataDir;
  driver: VmDriver;
  connectGuest: ConnectGuest;
  log: (line: string) => void;
  /** The environment a boot gets now: the VM this host would boot. */
  bootEnv: () => BootEnv;
  /** A boot on this accelerator, made the engine's current one. */
  begin: (accel: AcceleratorChoice, image: VmImage) => EngineBoot;
  teardown: (keepVm: boolean) => Promise<void>;
  /** The adopted boot is followed as a running engine, and the status says so. */
  adopted: (boot: EngineBoot, record: VmRecord) => Promise<void>;
}

type OnStage = (s: StartStageName, detail?: string) => void;

export class LeftoverVm {
  constructor(private readonly h: LeftoverHost) {}

  /**
   * A VM an earlier host left running on this data dir: adopted when its record matches the VM this
   * host would boot ('adopted': the engine runs), otherwise stopped and waited for until its disk is
   * free (the notice saying so). Null when there was none. `trusted`: no operation was cut off with
   * that host, so dockerd runs what the record says.
   */
  async resume(image: VmImage, trusted: boolean, t0: number, stage: OnStage): Promise<'adopted' | string | null> {
    const { data: d, driver } = this.h;
    const pid = driver.findLeftover(d);
    const record = readVmRecord(d);
    if (pid === null) {
      removeVmRecord(d);
      return null;
    }
    let why = 'there is no record of how it was started';
    if (record?.pid === pid) {
      const refused =
        record.key !== this.key(image)
          ? 'it was started by another build of Berth or with other VM settings'
          : await this.adopt(record, image, trusted, t0, stage);
      if (refused === null) return 'adopted';
      why = refused;
    }
    this.h.log(
      `engine: the VM an earlier Berth host left running (${driver.name} pid ${pid}) cannot be adopted: ${why}; stopping it`,
    );
    stage('replace', `${driver.name} pid ${pid}`);
    await driver.retire(d, pid, {
      log: this.h.log,
      askGuest: record ? () => poweroffOverSsh(this.h.connectGuest, record.sshPort) : undefined,
    });
    removeVmRecord(d);
    return `the VM an earlier Berth host left running (${driver.name} pid ${pid}) could not be adopted (${why}): it was stopped`;
  }

  /** Written down for the next host, should this one die while the VM runs. */
  record(boot: EngineBoot, image: VmImage, accel: AcceleratorChoice, st: EngineStatus): void {
    if (boot.vm?.pid === undefined) return;
    writeVmRecord(this.h.data, {
      pid: boot.vm.pid,
      key: this.key(image),
      sshPort: boot.sshPort,
      accel: accel.accel,
      acceleratorReason: accel.reason,
      startedAt: st.startedAt!,
      bootMs: st.bootMs,
      fileSharing: st.fileSharing,
      daemonJson: boot.daemonJson,
      versions: st.versions,
    });
  }

  /** Takes over the VM in record; null once it runs here, else why it cannot be. */
  private async adopt(
    record: VmRecord,
    image: VmImage,
    trusted: boolean,
    t0: number,
    stage: OnStage,
  ): Promise<string | null> {
    const boot = this.h.begin({ accel: record.accel, reason: record.acceleratorReason }, image);
    try {
      await boot.adopt(record, trusted, t0, stage);
    } catch (e) {
      await this.h.teardown(true);
      return (e as Error).message;
    }
    await this.h.adopted(boot, record);
    const steps = boot.timeline.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(2)} s`).join(', ');
    this.h.log(
      `engine: adopted the running VM (QEMU pid ${record.pid}) in ${((Date.now() - t0) / 1000).toFixed(2)} s (${steps}): dockerd and its containers kept running`,
    );
    return null;
  }

  /** The key of the VM this host would boot now (the boot's own resources, defaults included). */
  private key(image: VmImage): string {
    const e = this.h.bootEnv();
    return vmKey({
      binary: this.h.driver.binary,
      image,
      cpus: e.cpus,
      memoryMiB: e.memoryMiB,
      fileSharing: e.fileSharing,
      extraQemuArgs: e.extraQemuArgs,
    });
  }
}
