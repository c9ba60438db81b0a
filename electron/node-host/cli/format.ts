// Human-readable `berth status`, start timeline and store progress.
import type { EngineStatus } from '../../../engine/host/engine-types.ts';
import type { StoreProgress } from '../api/store-types.ts';

export function formatStatus(st: EngineStatus): string {
  const lines = [`state:        ${st.state}${st.stage ? ` (${st.stage})` : ''}`];
  if (st.error) {
    lines.push(`error:        ${st.error.message}`);
    if (st.error.console.length) lines.push('last console lines:', ...st.error.console.map((l) => `  ${l}`));
  }
  if (st.adopted)
    lines.push(
      `adopted:      a running engine (QEMU pid ${st.adopted.pid}), taken over at ${st.adopted.at}; it was not restarted`,
    );
  for (const n of st.notices ?? []) lines.push(`notice:       ${n}`);
  if (st.accelerator)
    lines.push(`accelerator:  ${st.accelerator}${st.emulated ? ' (emulated, no hardware acceleration)' : ''}`);
  // Why this accelerator: on a fallback it names the hardware accelerator's failure.
  if (st.acceleratorReason && st.emulated) lines.push(`              ${st.acceleratorReason}`);
  lines.push(`docker:       unix://${st.dockerSocket}${st.dataPlane ? ` (over ${st.dataPlane})` : ''}`);
  if (st.versions) {
    const v = st.versions;
    lines.push(
      `versions:     docker ${v.docker ?? '?'} (API ${v.api ?? '?'}), containerd ${v.containerd ?? '?'}, runc ${v.runc ?? '?'}, kernel ${v.kernel ?? '?'}, qemu ${v.qemu ?? '?'}`,
    );
    if (v.qemuReason) lines.push(`qemu:         ${v.qemuReason}`);
    if (v.network) lines.push(`network:      ${v.network}`);
  }
  if (st.ports?.length)
    lines.push(
      `ports:        ${st.ports.map((p) => `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort} -> ${p.container} ${p.containerPort}`).join(', ')}`,
    );
  for (const e of st.portErrors ?? []) lines.push(`port error:   ${e.message}`);
  if (st.fileSharing) {
    const fsh = st.fileSharing;
    lines.push(
      `file sharing: ${fsh.mechanism === 'none' ? 'off' : `${fsh.mechanism}: ${fsh.shared.join(', ')}`}${fsh.message ? ` (${fsh.message})` : ''}`,
    );
  }
  lines.push(`data dir:     ${st.dataDir}`);
  return lines.join('\n');
}

/** `berth start --verbose`: each stage of the last start, host side then guest side, and the slowest. */
export function formatTimeline(st: EngineStatus): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1).padStart(6)} s`;
  const rows = (entries: NonNullable<EngineStatus['timeline']>): string[] =>
    entries.map((e) => `  at ${s(e.startMs)}  took ${s(e.ms)}  ${e.stage}${e.detail ? `: ${e.detail}` : ''}`);
  const lines = ['start timeline (host, from the start request):', ...rows(st.timeline ?? [])];
  if (st.guestTimeline?.length) lines.push('start timeline (guest, from the kernel start):', ...rows(st.guestTimeline));
  const slowest = [...(st.timeline ?? []), ...(st.guestTimeline ?? [])].sort((a, b) => b.ms - a.ms).slice(0, 5);
  if (slowest.length) lines.push('slowest stages:', ...slowest.map((e) => `  ${s(e.ms)}  ${e.stage}`));
  return lines.join('\n');
}

/** A store step (migration, reclaim) as the CLI prints it: "load [2/3]: loading alpine:3". */
export function progressLine(p: StoreProgress): string {
  return `${p.step}${p.count ? ` [${p.count.done}/${p.count.total}]` : ''}: ${p.detail ?? ''}`;
}
