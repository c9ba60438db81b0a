// The guest agent from the host's own build, so agent changes never need a new VM image. The
// bundle goes to the VM over fw_cfg at boot, where berth-init installs it on the data disk when
// its hash differs (off the critical path: no upload after boot); an image whose berth-init does
// not (releases/engine26) gets it over SSH here instead.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { GuestLink } from './guest-link.ts';
import { AGENT_BUNDLE, buildAgent } from '../agent/build.ts';

const GUEST_BUNDLE = '/mnt/data/agent/agent.mjs';

export interface AgentBundle { file: string; sha256: string; sha256File: string }

/** The bundle to ship: BERTH_AGENT_BUNDLE (packaged app) or a fresh build of this checkout. */
export async function agentBundle(runDir: string): Promise<AgentBundle> {
  const file = process.env.BERTH_AGENT_BUNDLE ?? (await buildAgent(), AGENT_BUNDLE);
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const sha256File = path.join(runDir, 'agent.sha256');
  fs.writeFileSync(sha256File, `${sha256}\n`, { mode: 0o600 });
  return { file, sha256, sha256File };
}

export async function installAgent(ssh: GuestLink, bundle: AgentBundle): Promise<{ updated: boolean }> {
  const have = (await ssh.exec(`sha256sum ${GUEST_BUNDLE} 2>/dev/null`)).stdout.split(' ')[0];
  if (have === bundle.sha256) {
    await ssh.run('systemctl start berth-agent.service');
    return { updated: false };
  }
  await ssh.run(`mkdir -p /mnt/data/agent && cat > ${GUEST_BUNDLE}.tmp && mv ${GUEST_BUNDLE}.tmp ${GUEST_BUNDLE}`, { stdin: fs.readFileSync(bundle.file) });
  await ssh.run('systemctl restart berth-agent.service');
  return { updated: true };
}
