// The two sockets inside the VM that the host reaches over the data plane: dockerd's and the
// agent's gRPC API. The agent serves and allows them (agent-api.ts, vport-mux.ts); the host opens
// streams to them (engine/host/engine-boot.ts).

/** dockerd's API socket (docker.socket in the image). */
export const DOCKER_SOCKET = '/run/docker.sock';
/** The guest agent's gRPC API. */
export const AGENT_SOCKET = '/run/berth/agent.sock';
