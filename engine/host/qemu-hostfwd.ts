// Published ports as QEMU user-network forwards, added and removed at run time over QMP
// (`hostfwd_add`/`hostfwd_remove` on the VM's netdev). QEMU's own slirp carries the bytes, so no
// process of ours copies them; in the VM, dockerd's proxy listening on the VM's address takes them
// to the container. QEMU answers in text: nothing on success, "Could not set up host forwarding
// rule …" when the host port is taken.
import type { QemuVm } from './qemu-vm.ts';
import type { UserNetForwards } from './port-forwarder.ts';

export const NETDEV = 'net0';

export function qemuForwards(vm: QemuVm): UserNetForwards {
  return {
    async add(protocol, hostIp, hostPort, guestIp, guestPort) {
      const rule = `${protocol}:${hostIp}:${hostPort}-${guestIp}:${guestPort}`;
      const out = (await vm.hmp(`hostfwd_add ${NETDEV} ${rule}`)).trim();
      if (!out) return;
      // An adopted VM still has the rules its first host added: the same rule, taken over.
      const removed = (await vm.hmp(`hostfwd_remove ${NETDEV} ${protocol}:${hostIp}:${hostPort}`)).trim();
      if (!/removed/i.test(removed) || (await vm.hmp(`hostfwd_add ${NETDEV} ${rule}`)).trim()) throw new Error(out);
    },
    async remove(protocol, hostIp, hostPort) {
      if (!vm.running) return; // gone with QEMU
      const out = (await vm.hmp(`hostfwd_remove ${NETDEV} ${protocol}:${hostIp}:${hostPort}`)).trim();
      if (out && !/removed/i.test(out)) throw new Error(out);
    },
  };
}
