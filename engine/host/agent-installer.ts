// Installs or updates the guest agent from the host's own build at every VM start, so agent
// changes never need a new VM image.
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { GuestLink } from './guest-link.ts';
import { AGENT_BUNDLE, buildAgent } from '../agent/build.ts';

const GUEST_BUNDLE = '/mnt/data/agent/agent.mjs';

/** The bundle to ship: BERTH_AGENT_BUNDLE (packaged app) or a fresh build of this checkout. */
export async function agentBundle(): Promise<Buffer> {
  if (process.env.BERTH_AGENT_BUNDLE) return fs.readFileSync(process.env.BERTH_AGENT_BUNDLE);
  await buildAgent();
  return fs.readFileSync(AGENT_BUNDLE);
}

/** Makes sure the guest runs this bundle: usually berth-init took it from the boot port already. */
export async function installAgent(ssh: GuestLink, bundle: Buffer): Promise<{ updated: boolean }> {
  const want = crypto.createHash('sha256').update(bundle).digest('hex');
  const have = (await ssh.exec(`sha256sum ${GUEST_BUNDLE} 2>/dev/null`)).stdout.split(' ')[0];
  if (have === want) {
    await ssh.run('systemctl start berth-agent.service');
    return { updated: false };
  }
  await ssh.run(`mkdir -p /mnt/data/agent && cat > ${GUEST_BUNDLE}.tmp && mv ${GUEST_BUNDLE}.tmp ${GUEST_BUNDLE}`, { stdin: bundle });
  await ssh.run('systemctl restart berth-agent.service');
  return { updated: true };
}
