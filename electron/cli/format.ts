// Human-readable `berth status`.
import type { EngineStatus } from '../../engine/host/engine-types.ts';

export function formatStatus(st: EngineStatus): string {
  const lines = [`state:        ${st.state}${st.stage ? ` (${st.stage})` : ''}`];
  if (st.error) {
    lines.push(`error:        ${st.error.message}`);
    if (st.error.console.length) lines.push('last console lines:', ...st.error.console.map((l) => `  ${l}`));
  }
  if (st.accelerator) lines.push(`accelerator:  ${st.accelerator}${st.emulated ? ' (emulated, no hardware acceleration)' : ''}`);
  // Why this accelerator: on a fallback it names the hardware accelerator's failure.
  if (st.acceleratorReason && st.emulated) lines.push(`              ${st.acceleratorReason}`);
  lines.push(`docker:       unix://${st.dockerSocket}`);
  if (st.versions) {
    const v = st.versions;
    lines.push(`versions:     docker ${v.docker ?? '?'} (API ${v.api ?? '?'}), containerd ${v.containerd ?? '?'}, runc ${v.runc ?? '?'}, kernel ${v.kernel ?? '?'}, qemu ${v.qemu ?? '?'}`);
  }
  if (st.ports?.length) lines.push(`ports:        ${st.ports.map((p) => `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort} -> ${p.container} ${p.containerPort}`).join(', ')}`);
  for (const e of st.portErrors ?? []) lines.push(`port error:   ${e.message}`);
  if (st.fileSharing) {
    const fsh = st.fileSharing;
    lines.push(`file sharing: ${fsh.mechanism === 'none' ? 'off' : `${fsh.mechanism}: ${fsh.shared.join(', ')}`}${fsh.message ? ` (${fsh.message})` : ''}`);
  }
  lines.push(`data dir:     ${st.dataDir}`);
  return lines.join('\n');
}
