// Tools for endpoint tests: running a command line on the host as a user would, and a QEMU
// stand-in whose KVM is broken the ways these machines break it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { locateImage } from '../../engine/image/locate.ts';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs command lines in bash on the host with this environment (DOCKER_HOST and all). */
export function hostCommand(env: NodeJS.ProcessEnv, timeoutMs = 300_000): (cmd: string) => Promise<Run> {
  return (cmd) => runProcess('bash', ['-c', cmd], env, timeoutMs, cmd);
}

/** Runs a program to its end, its output collected; killed and rejected (naming what) after timeoutMs. */
export function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  what: string,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${what}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * Gives the host's docker CLI (which has no plugins here) the VM image's own buildx, so `docker
 * build` on the host goes through BuildKit's session over Berth's socket as users' CLIs do, with
 * the same client the VM runs. Read from the image's root filesystem with debugfs (e2fsprogs, which
 * the image build needs anyway).
 */
export function installVmBuildx(dockerConfig: string): void {
  const dir = path.join(dockerConfig, 'cli-plugins');
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'docker-buildx');
  const r = spawnSync(
    'debugfs',
    ['-R', `dump -p /usr/libexec/docker/cli-plugins/docker-buildx ${out}`, locateImage().rootfs],
    { encoding: 'utf8' },
  );
  if (r.error || !fs.existsSync(out) || fs.statSync(out).size === 0) {
    throw new Error(
      `could not take buildx from the VM image with debugfs (Debian: apt-get install e2fsprogs): ${r.error?.message ?? r.stderr.trim()}`,
    );
  }
  fs.chmodSync(out, 0o755);
}

/**
 * Writes a QEMU wrapper (for BERTH_QEMU): the accelerator probe passes (it runs on TCG under
 * the hood), and a real boot with `-accel kvm` then fails as BERTH_FAKE_KVM says: `abort` dies
 * with QEMU's kvm_buf_set_msrs assertion, `stall` never starts the vCPUs (a guest that prints
 * nothing). Anything else runs the real QEMU untouched.
 */
export function fakeKvmQemu(dir: string, real = 'qemu-system-x86_64'): string {
  const file = path.join(dir, 'fake-kvm-qemu');
  fs.writeFileSync(
    file,
    `#!/bin/bash
args=(); kvm=; probe=; prev=
for a in "$@"; do
  if [ "$prev" = -accel ] && [ "$a" = kvm ]; then a=tcg; kvm=1; fi
  if [ "$prev" = -cpu ] && [ "$a" = host ]; then a=max; fi
  [ "$a" = berth-probe ] && probe=1
  args+=("$a"); prev=$a
done
if [ -z "$kvm" ] || [ -n "$probe" ]; then exec ${real} "\${args[@]}"; fi
case "\${BERTH_FAKE_KVM:-abort}" in
  stall) exec ${real} "\${args[@]}" -S ;;
  *) echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
     echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion \\\`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
     kill -ABRT $$ ;;
esac
`,
    { mode: 0o755 },
  );
  return file;
}

/**
 * `docker run` arguments for echo servers in a container from a busybox image: on 9000/tcp the
 * byte count of what the client sent, answered once it half-closes ("11\n"); on 9001/udp
 * "echo:<datagram>". They run the VM's own node (chroot is in Docker's default capabilities) and
 * print "ready" once both listen.
 */
export function echoServerArgs(image: string): string {
  const server = [
    "const net=require('net'),dgram=require('dgram');",
    "net.createServer({allowHalfOpen:true},s=>{let n=0;s.on('data',d=>n+=d.length);s.on('end',()=>s.end(n+'\\n'))}).listen(9000);",
    "const u=dgram.createSocket('udp4');u.on('message',(m,r)=>u.send('echo:'+m,r.port,r.address));u.bind(9001,()=>console.log('ready'));",
  ].join('');
  return `-v /:/host:ro ${image} chroot /host /usr/local/bin/node -e "${server}"`;
}
