// Boot soak (not CI): `node bin/run-ts.js scripts/boot-soak.ts [--qemu BINARY]… [--boots N]`
// starts and stops the engine N times per QEMU under TCG, one temp data dir per QEMU, the QEMUs
// taking turns (so load from elsewhere on the machine falls on each alike), and counts guest
// crashes in the console: an Oops, an int3 trap, a general protection fault, a kernel panic, and
// each guest reset the controller booted once more for ('booting once more' in its log). Without
// --qemu it compares the system's QEMU with the bundled one (qemu-runtime.ts) when there is one.
// The console lines of every crash are printed and kept in the output dir it names at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../engine/host/paths.ts';
import { EngineController } from '../engine/host/engine-controller.ts';
import { qemuDriver } from '../engine/host/qemu-driver.ts';
import { bootDaemonJson } from '../engine/host/boot-daemon-json.ts';
import { cachedQemu, systemQemuBinary } from '../engine/host/qemu-runtime.ts';
import { qemuVersion } from '../engine/host/vm-files.ts';

const CRASH = /Oops|int3|general protection|Kernel panic|BUG:/;
const RETRY = /booting once more/;

interface Tally { qemu: string; version: string; boots: number; ok: number; failed: number; retries: number; crashes: number; startMs: number[]; lines: string[] }

function option(name: string): string[] {
  const argv = process.argv.slice(2);
  return argv.flatMap((a, i) => (a === name && argv[i + 1] ? [argv[i + 1]!] : []));
}

/** The first crash line of a console file and the few after it (RIP, the call's first frames). */
function crashLines(file: string): string[] | null {
  let lines: string[];
  try { lines = fs.readFileSync(file, 'utf8').replace(/\r/g, '').split('\n'); } catch { return null; }
  const at = lines.findIndex((l) => CRASH.test(l));
  return at < 0 ? null : lines.slice(at, at + 6);
}

async function bootOnce(t: Tally, data: DataDir, out: string): Promise<void> {
  const logs: string[] = [];
  const engine = new EngineController({
    data, accelerator: 'tcg', dockerContext: false, driver: qemuDriver(t.qemu), log: (l) => logs.push(l),
    bootDaemonJson: () => bootDaemonJson('containerd', '{}'), engineConfig: () => ({ store: 'containerd' }),
  });
  const n = ++t.boots;
  const t0 = Date.now();
  let verdict = 'ok';
  try {
    await engine.start();
    t.startMs.push(Date.now() - t0);
    t.ok++;
  } catch (e) {
    t.failed++;
    verdict = `FAILED: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    await engine.stop().catch(() => undefined);
  }
  const retried = logs.some((l) => RETRY.test(l));
  if (retried) t.retries++;
  // This cycle's last boot, and the boot it retried (kept as the previous console) if any.
  const consoles = [data.consoleLog, ...(retried ? [data.previousConsoleLog] : [])];
  for (const file of consoles) {
    const lines = crashLines(file);
    if (!lines) continue;
    t.crashes++;
    const kept = path.join(out, `qemu-${t.version}-boot${n}-${path.basename(file)}`);
    fs.copyFileSync(file, kept);
    t.lines.push(`boot ${n}: ${lines.join(' | ')}`);
    console.log(`  crash (${path.basename(file)}, kept as ${kept}):\n    ${lines.join('\n    ')}`);
  }
  console.log(`QEMU ${t.version} boot ${n}: ${verdict} in ${((Date.now() - t0) / 1000).toFixed(1)} s${retried ? ' (the guest reset: booted once more)' : ''}`);
}

const boots = Number(option('--boots')[0] ?? 10);
const given = option('--qemu');
const bundled = cachedQemu();
const qemus = given.length ? given : [systemQemuBinary(), ...(bundled ? [bundled.binary] : [])];
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-soak-'));
const tallies: Tally[] = qemus.map((q) => ({ qemu: q, version: qemuVersion(q) ?? 'unknown', boots: 0, ok: 0, failed: 0, retries: 0, crashes: 0, startMs: [], lines: [] }));
const dirs = tallies.map(() => new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-soak-data-'))));
console.log(`boot soak: ${boots} boots each under TCG: ${tallies.map((t) => `${t.qemu} (${t.version})`).join(', ')}`);
try {
  for (let i = 0; i < boots; i++) {
    for (const [k, t] of tallies.entries()) await bootOnce(t, dirs[k]!, out);
  }
} finally {
  for (const d of dirs) fs.rmSync(d.root, { recursive: true, force: true });
}
const median = (xs: number[]): string => (xs.length ? `${(xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]! / 1000).toFixed(1)} s` : '-');
console.log('\nQEMU      boots  started  failed  resets  crashes  median start');
for (const t of tallies) {
  console.log(`${t.version.padEnd(8)}  ${String(t.boots).padStart(5)}  ${String(t.ok).padStart(7)}  ${String(t.failed).padStart(6)}  ${String(t.retries).padStart(6)}  ${String(t.crashes).padStart(7)}  ${median(t.startMs).padStart(12)}`);
  for (const l of t.lines) console.log(`  ${l}`);
}
console.log(`crash consoles kept in ${out}`);
process.exit(0);
