// Installs or updates the guest agent from the host's own build at every VM start, so agent
// changes never need a new VM image.
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import type { GuestLink } from './guest-link.ts';
import { AGENT_BUNDLE, buildAgent } from '../agent/build.ts';

/** Where the VM runs the agent from (berth-agent.service; berth-agent-fetch puts it there at boot). */
const GUEST_BUNDLE = '/run/berth-agent/agent.mjs';
/** Where images before the boot port run it from: written too, so either image finds it. */
const DISK_BUNDLE = '/mnt/data/agent/agent.mjs';

/** The bundle to ship: BERTH_AGENT_BUNDLE (packaged app) or a fresh build of this checkout. */
export async function agentBundle(): Promise<Buffer> {
  if (process.env.BERTH_AGENT_BUNDLE) return fs.readFileSync(process.env.BERTH_AGENT_BUNDLE);
  await buildAgent();
  return fs.readFileSync(AGENT_BUNDLE);
}

/** Makes sure the guest runs this bundle: usually berth-agent-fetch took it from the boot port already. */
export async function installAgent(ssh: GuestLink, bundle: Buffer): Promise<{ updated: boolean }> {
  const want = crypto.createHash('sha256').update(bundle).digest('hex');
  // An image with the boot port has /run/berth-agent (berth-agent-fetch's, even when it got nothing).
  const have = (
    await ssh.exec(
      `f=${GUEST_BUNDLE}; [ -d ${path.posix.dirname(GUEST_BUNDLE)} ] || f=${DISK_BUNDLE}; sha256sum $f 2>/dev/null`,
    )
  ).stdout.split(' ')[0];
  if (have === want) {
    await ssh.run('systemctl start berth-agent.service');
    return { updated: false };
  }
  await ssh.run(
    `mkdir -p /mnt/data/agent /run/berth-agent && cat > ${DISK_BUNDLE}.tmp && cp ${DISK_BUNDLE}.tmp ${GUEST_BUNDLE} && mv ${DISK_BUNDLE}.tmp ${DISK_BUNDLE}`,
    { stdin: bundle },
  );
  await ssh.run('systemctl restart berth-agent.service');
  return { updated: true };
}
