// Engine benchmark: prints numbers, asserts nothing. Measures the image, a cold start on each
// store beside the kernel's own boot (same QEMU flags), idle memory, the start timeline's slowest
// stages, and a store switch beside a full restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';
import { imageDir, locateImage } from '../../engine/image/locate.ts';
import { kernelBoot } from '../../engine/host/kernel-probe.ts';
import { qemuBinary } from '../../engine/host/qemu-args.ts';
import { bootDaemonJson } from '../../engine/host/boot-daemon-json.ts';
import type { EngineStatus } from '../../engine/host/engine-types.ts';

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;

function rssOf(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : NaN;
}

export async function engineBench(): Promise<void> {
  const dir = imageDir();
  try {
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8')) as {
      buildSeconds: number;
      compressedBytes: number;
      engine?: Record<string, string>;
    };
    console.log(`image build:            ${b.buildSeconds.toFixed(0)} s (cached; 'npm run image -- --force' rebuilds)`);
    if (b.engine)
      console.log(
        `image engine:           ${Object.entries(b.engine)
          .map(([p, v]) => `${p} ${v}`)
          .join(', ')}`,
      );
    console.log(`image root compressed:  ${mib(b.compressedBytes)} (goal <= 200 MB)`);
  } catch {
    console.log(`image root compressed:  ${mib(fs.statSync(path.join(dir, 'rootfs.img.zst')).size)} (no build record)`);
  }

  // The reference: the VM kernel's own boot to its first userspace attempt (kernel + initrd, rdinit
  // and root pointing nowhere, panic=-1, -no-reboot), same QEMU, accelerator, CPUs and memory.
  const cold: Record<string, number> = {};
  let kernelMs = 0;
  for (const store of ['containerd', 'classic'] as const) {
    const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-')));
    const engine = new EngineController({
      data,
      bootDaemonJson: () => bootDaemonJson(store, '{}'),
      engineConfig: () => ({ store }),
    });
    try {
      const t0 = Date.now();
      const st = await engine.start();
      cold[store] = Date.now() - t0;
      if (store === 'containerd') {
        const image = locateImage();
        const ref = await kernelBoot(qemuBinary(), st.accelerator ?? 'tcg', image.kernel, {
          initrd: image.initrd,
          extra: ['-smp', '2', '-m', '2048'],
          timeoutMs: 120_000,
        });
        kernelMs = ref.ms;
        console.log(`accelerator:            ${st.accelerator} (${st.acceleratorReason})`);
        console.log(`qemu:                   ${st.versions?.qemu} (${st.versions?.qemuReason})`);
        console.log(
          `kernel's own boot:      ${s(kernelMs)} (kernel + initrd to the first userspace attempt${ref.failure ? `; ${ref.failure}` : ''})`,
        );
      }
      console.log(
        `cold start, ${store.padEnd(10)}  ${s(cold[store]!)}   ratio to the kernel's boot ${(cold[store]! / kernelMs).toFixed(1)} (goal <= 5, then <= 2)`,
      );
      if (store === 'containerd') await afterStart(engine, st);
    } finally {
      await engine.stop().catch(() => undefined);
      fs.rmSync(data.root, { recursive: true, force: true });
    }
  }
}

/** Idle memory, the start timeline's slowest stages, and a store switch beside a full restart. */
async function afterStart(engine: EngineController, st: EngineStatus): Promise<void> {
  // Let the first-boot work settle (and the guest's timeline arrive), then read memory.
  await new Promise((r) => setTimeout(r, 20_000));
  const free = await engine.guest.run("free -b | awk '/Mem:/ {print $3}'");
  console.log(`idle guest memory used: ${mib(Number(free.trim()))}`);
  console.log(`idle QEMU RSS:          ${mib(rssOf(st.vmPid!))} (goal <= 1.1 GB under TCG)`);
  const now = engine.status();
  const slowest = [...(now.timeline ?? []), ...(now.guestTimeline ?? [])].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(`slowest start stages:   ${slowest.map((t) => `${t.stage} ${s(t.ms)}`).join(', ')}`);

  // The first switch to classic on a fresh disk also sets that store up; later switches are what
  // switching back and forth costs. Both are printed; the ratio is given for each.
  const switchTo = async (store: 'classic' | 'containerd'): Promise<number> => {
    const t = Date.now();
    await engine.agent.setImageStore(store);
    await engine.docker().ping();
    return Date.now() - t;
  };
  const first = await switchTo('classic');
  const later = [await switchTo('containerd')];
  for (let i = 0; i < 2; i++) later.push(await switchTo('classic'), await switchTo('containerd'));
  const sorted = [...later].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const r0 = Date.now();
  await engine.restart();
  await engine.docker().ping();
  const restartMs = Date.now() - r0;
  console.log(
    `store switch:           first to classic ${s(first)} (sets the classic store up on a fresh disk); then ${later.map(s).join(', ')} (median ${s(median)})`,
  );
  console.log(`full restart:           ${s(restartMs)}`);
  console.log(
    `switch / restart:       ${(median / restartMs).toFixed(2)} median of ${later.length} switches, ${(first / restartMs).toFixed(2)} the first (goal <= 0.2)`,
  );
}
