// The Berth guest agent's entry. The data port comes first: it needs only Node's net and fs, while
// the API's gRPC stack takes seconds of the agent's start-up under emulation (compiling Node's
// http2, tls and zlib; Debian's node has no code cache). So the host's session and its first
// connections are under way while the API loads; a connection to the API waits for it to
// listen rather than being refused (a refusal would cost the host's gRPC client a back-off).
import { startVportMux } from './vport-mux.ts';
import { AGENT_SOCKET } from './guest-sockets.ts';
import { keepDnsProxy } from './dns-proxy.ts';
import { setUpLoopbackRedirect } from './loopback-redirect.ts';
import { tuneVirtiofsMounts } from './virtiofs-tuning.ts';

let apiUp: () => void = () => undefined;
const apiListening = new Promise<void>((resolve) => {
  apiUp = resolve;
});
const vport = startVportMux(undefined, undefined, (target) =>
  target === `unix:${AGENT_SOCKET}` ? apiListening : Promise.resolve(),
);
// Loading the API holds the event loop for seconds: let the session handshake finish first (the
// host is usually connected already), but never wait long for a host that is not there.
if (vport) await Promise.race([vport.connected, new Promise((resolve) => setTimeout(resolve, 3000))]);
const { serveApi } = await import('./agent-api.ts');
await serveApi();
apiUp();
// Shared folders' read-ahead (the initramfs mounted them; sysfs writes, no process started).
tuneVirtiofsMounts();
// host.docker.internal for the VM and its containers; a failure leaves the agent's API up.
keepDnsProxy();
// UDP ports published on the VM's loopback reach the host through QEMU's user network.
void setUpLoopbackRedirect();
