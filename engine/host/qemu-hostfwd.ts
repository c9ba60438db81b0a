// UDP published ports as QEMU user-network forwards, added and removed at run time over QMP
// (`hostfwd_add`/`hostfwd_remove` on the VM's netdev). QEMU answers in text: nothing on success,
// "Could not set up host forwarding rule …" when the host port is taken.
import type { QemuVm } from './qemu-vm.ts';
import type { UdpForwards } from './port-forwarder.ts';

export const NETDEV = 'net0';

export function qemuUdpForwards(vm: QemuVm): UdpForwards {
  return {
    async add(hostIp, hostPort, guestIp, guestPort) {
      const out = (await vm.hmp(`hostfwd_add ${NETDEV} udp:${hostIp}:${hostPort}-${guestIp}:${guestPort}`)).trim();
      if (out) throw new Error(out);
    },
    async remove(hostIp, hostPort) {
      if (!vm.running) return; // gone with QEMU
      const out = (await vm.hmp(`hostfwd_remove ${NETDEV} udp:${hostIp}:${hostPort}`)).trim();
      if (out && !/removed/i.test(out)) throw new Error(out);
    },
  };
}
