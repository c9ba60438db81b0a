// The guest's half of the start timeline, read once the engine runs (off the critical path):
// systemd's own account of the boot and of the engine units, and dockerd's phases from its
// journal, all on the guest's monotonic clock (seconds since the kernel started).
import type { GuestLink } from './guest-link.ts';
import type { TimelineEntry } from './boot-steps.ts';

const UNITS = [
  'berth-init.service',
  'berth-net.service',
  'containerd.service',
  'docker.service',
  'berth-agent-fetch.service',
  'berth-agent.service',
  'ssh.service',
];

/** dockerd's journal lines that open a phase, in the order they happen. */
const DOCKERD_PHASES: Array<[RegExp, string]> = [
  [/Starting up/, 'dockerd: start-up'],
  [/Loading containers: start/, 'dockerd: loading containers'],
  [/Loading containers: done/, 'dockerd: daemon initialization'],
  [/Daemon has completed initialization/, 'dockerd: API'],
];

/** `systemctl show -p Id,…Monotonic` output: one block per unit, µs since boot. */
export function parseUnitTimes(text: string): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const kv = new Map(
      block.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    const start = Number(kv.get('ExecMainStartTimestampMonotonic') || kv.get('InactiveExitTimestampMonotonic'));
    const active = Number(kv.get('ActiveEnterTimestampMonotonic'));
    const id = kv.get('Id');
    if (!id || !start || !active) continue;
    out.push({ stage: `guest: ${id}`, startMs: Math.round(start / 1000), ms: Math.round((active - start) / 1000) });
  }
  return out;
}

/** `journalctl -o short-monotonic -u docker` lines → dockerd's phases with their durations. */
export function parseDockerdPhases(journal: string, endMs?: number): TimelineEntry[] {
  const marks: Array<{ stage: string; at: number }> = [];
  for (const line of journal.split('\n')) {
    const t = line.match(/^\[\s*([\d.]+)\]/);
    if (!t) continue;
    for (const [re, stage] of DOCKERD_PHASES) {
      if (re.test(line) && !marks.some((m) => m.stage === stage))
        marks.push({ stage, at: Math.round(Number(t[1]) * 1000) });
    }
  }
  return marks.map((m, i) => ({
    stage: m.stage,
    startMs: m.at,
    ms: Math.max(0, (marks[i + 1]?.at ?? endMs ?? m.at) - m.at),
  }));
}

/**
 * The agent's unit is active as soon as Node runs; its start-up ends when it listens (its
 * journal's first "listening on" line), which is what the host waits for.
 */
export function agentStartup(units: TimelineEntry[], agentJournal: string): TimelineEntry | null {
  const unit = units.find((e) => e.stage === 'guest: berth-agent.service');
  const t = agentJournal
    .split('\n')
    .find((l) => /listening on \/run\/berth\/agent\.sock/.test(l))
    ?.match(/^\[\s*([\d.]+)\]/);
  if (!unit || !t) return null;
  const at = Math.round(Number(t[1]) * 1000);
  return at >= unit.startMs ? { stage: 'guest: agent start-up', startMs: unit.startMs, ms: at - unit.startMs } : null;
}

/**
 * The early set-up's own lines. From dmesg, not the journal: the journal stamps them when journald
 * read them, after systemd started.
 */
export const EARLY_SET_UP_LOG = "dmesg | grep -E 'berth-(init|net|agent-fetch): '";

/**
 * berth-init's early set-up (the data disk, daemon.json, shared folders), berth-net and
 * berth-agent-fetch, run side by side from the initramfs before systemd (berth-early): from
 * berth-init's "early set-up" line to the last of their "ready" lines, in the kernel's log (dmesg).
 * None on a boot where the units did that work instead.
 */
export function earlySetup(kernelLog: string): TimelineEntry | null {
  const at = (re: RegExp) => {
    const t = kernelLog
      .split('\n')
      .find((l) => re.test(l))
      ?.match(/^\[\s*([\d.]+)\]/);
    return t ? Math.round(Number(t[1]) * 1000) : null;
  };
  const start = at(/berth-init: early set-up$/);
  const disk = at(/berth-init: ready \(early\)$/);
  if (start === null || disk === null) return null;
  const end = Math.max(
    disk,
    at(/berth-net: network ready$/) ?? disk,
    at(/berth-agent-fetch: agent updated from the host$/) ?? disk,
  );
  return { stage: 'guest: early set-up (initramfs)', startMs: start, ms: end - start };
}

export async function readGuestTimeline(link: GuestLink): Promise<TimelineEntry[]> {
  const [units, journal, kernel, agentJournal, kernelLog] = await Promise.all([
    link.run(
      `systemctl show -p Id,ExecMainStartTimestampMonotonic,InactiveExitTimestampMonotonic,ActiveEnterTimestampMonotonic ${UNITS.join(' ')}`,
    ),
    link.run('journalctl -b -o short-monotonic --no-pager -u docker.service | tail -n 400'),
    link.run('systemctl show -p UserspaceTimestampMonotonic --value'),
    link.run('journalctl -b -o short-monotonic --no-pager -u berth-agent.service | head -n 20'),
    link.run(`${EARLY_SET_UP_LOG} | head -n 20`),
  ]);
  const userspace = Math.round(Number(kernel.trim()) / 1000);
  const unitTimes = parseUnitTimes(units);
  const agent = agentStartup(unitTimes, agentJournal);
  const early = earlySetup(kernelLog);
  const entries = [
    ...(userspace ? [{ stage: 'guest: kernel + initramfs (to systemd)', startMs: 0, ms: userspace }] : []),
    ...(early ? [early] : []),
    ...unitTimes.filter((e) => !(agent && e.stage === 'guest: berth-agent.service')),
    ...(agent ? [agent] : []),
  ];
  const dockerd = entries.find((e) => e.stage === 'guest: docker.service');
  entries.push(...parseDockerdPhases(journal, dockerd ? dockerd.startMs + dockerd.ms : undefined));
  return entries.sort((a, b) => a.startMs - b.startMs);
}
