// The engine's versions as `berth status` reports them: one Docker API call through the socket the
// host serves (a CLI in the VM costs seconds under emulation), with the hypervisor's beside them.
import type Docker from 'dockerode';
import { z } from 'zod';
import type { EngineStatus } from './engine-types.ts';
import type { VmDriver, VmHandle } from './vm-driver.ts';

/** The part of the Docker API's /version read here (validated: it comes from the VM). */
const DockerVersionSchema = z.object({
  Version: z.string().optional(),
  ApiVersion: z.string().optional(),
  KernelVersion: z.string().optional(),
  Components: z.array(z.object({ Name: z.string(), Version: z.string() })).nullish(),
});

export async function engineVersions(
  docker: Docker,
  driver: VmDriver,
  vm: VmHandle | null,
): Promise<EngineStatus['versions']> {
  const v = DockerVersionSchema.parse(await docker.version());
  const component = (name: string): string | undefined => v.Components?.find((c) => c.Name === name)?.Version;
  return {
    docker: v.Version,
    api: v.ApiVersion,
    containerd: component('containerd'),
    runc: component('runc'),
    kernel: v.KernelVersion,
    qemu: driver.version(),
    qemuReason: driver.reason,
    network: vm?.network,
  };
}
