// Engine benchmark: prints numbers, asserts nothing. One VM session measures the image, a cold
// start beside the kernel's own boot time, idle memory, and a store switch beside a VM restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';
import { imageDir } from '../../engine/image/locate.ts';

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;

function rssOf(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : NaN;
}

export async function engineBench(): Promise<void> {
  const dir = imageDir();
  try {
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8')) as { buildSeconds: number; compressedBytes: number };
    console.log(`image build:            ${b.buildSeconds.toFixed(0)} s (cached; 'npm run image -- --force' rebuilds)`);
    console.log(`image root compressed:  ${mib(b.compressedBytes)} (goal <= 200 MB)`);
  } catch {
    console.log(`image root compressed:  ${mib(fs.statSync(path.join(dir, 'rootfs.img.zst')).size)} (no build record)`);
  }

  const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-')));
  const engine = new EngineController({ data });
  try {
    const t0 = Date.now();
    const st = await engine.start();
    const cold = Date.now() - t0;
    const analyze = await engine.guest.run('systemd-analyze');
    const num = (re: RegExp): number => { const m = analyze.match(re); return m ? Number(m[1]) * (m[2] === 'min' ? 60 : 1) : 0; };
    const kernel = num(/([\d.]+)(s|min) \(kernel\)/) + num(/([\d.]+)(s|min) \(initrd\)/);
    console.log(`accelerator:            ${st.accelerator} (${st.acceleratorReason})`);
    console.log(`cold start -> docker:   ${s(cold)}   kernel boot (kernel+initrd, same boot): ${kernel.toFixed(1)} s   ratio ${(cold / 1000 / kernel).toFixed(2)} (goal <= 2)`);
    console.log(`  guest: ${analyze.split('\n')[0]}`);

    // Let the first-boot work settle, then read memory.
    await new Promise((r) => setTimeout(r, 20_000));
    const free = await engine.guest.run("free -b | awk '/Mem:/ {print $3}'");
    console.log(`idle guest memory used: ${mib(Number(free.trim()))}`);
    console.log(`idle QEMU RSS:          ${mib(rssOf(st.qemuPid!))} (goal <= 1.1 GB under TCG)`);

    const sw0 = Date.now();
    await engine.agent.setImageStore('classic');
    await engine.docker().ping();
    const toClassic = Date.now() - sw0;
    const sw1 = Date.now();
    await engine.agent.setImageStore('containerd');
    await engine.docker().ping();
    const toCtr = Date.now() - sw1;
    const switchMs = (toClassic + toCtr) / 2;
    const r0 = Date.now();
    await engine.restart();
    await engine.docker().ping();
    const restartMs = Date.now() - r0;
    console.log(`store switch:           ${s(toClassic)} to classic, ${s(toCtr)} to containerd (mean ${s(switchMs)})`);
    console.log(`full VM restart:        ${s(restartMs)}`);
    console.log(`switch / VM restart:    ${(switchMs / restartMs).toFixed(2)} (goal <= 0.25)`);
  } finally {
    await engine.stop().catch(() => undefined);
    fs.rmSync(data.root, { recursive: true, force: true });
  }
}
