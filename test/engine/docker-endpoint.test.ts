// Berth as a Docker endpoint, checked the way users meet it: the host's own docker CLI through
// Berth's socket must print what the same command prints inside the VM (stdout and exit code),
// streams included (attach, stdin, half-close), over the virtio-serial data plane. Runs on the
// suite's shared engine and removes what it creates. (The accelerator fallback and a stopped
// engine's refusal are in lifecycle.test.ts, which boots its own.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BerthEnv, waitFor } from '../helpers/berth-env.ts';
import { buildScratch } from '../helpers/docker-ops.ts';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import { echoServerArgs, hostCommand, installVmBuildx, type Run } from '../helpers/endpoint-tools.ts';
import { GuestSsh } from '../../engine/host/guest-ssh.ts';
import { ensureKeys } from '../../engine/host/keys.ts';

const MIN = 60_000;
const IMG = 'berth-conf/busybox:1';
const DIR = '/tmp/berth-conformance';

/** One command as a user types it; setup and cleanup run on the same side, around it. */
interface Case {
  name: string;
  cmd: string;
  setup?: string;
  cleanup?: string;
}

describe('a faithful Docker endpoint (real VM, host docker CLI)', { timeout: 40 * MIN }, () => {
  // The suite's shared engine: the file removes what it creates.
  const env = new BerthEnv({ shared: true });
  let host: (cmd: string) => Promise<Run>;
  let vm: (cmd: string) => Promise<Run>;
  let events = { since: 0, until: 0 };
  let ssh: GuestSsh | null = null;

  before(async () => {
    const r = await env.start();
    assert.equal(r.code, 0, `berth start failed:\n${r.stdout}\n${r.stderr}`);
    installVmBuildx(env.env.DOCKER_CONFIG!);
    host = hostCommand({ ...env.env, DOCKER_HOST: `unix://${env.data.dockerSocket}` });
    // Inside the VM: what `berth shell '<cmd>'` runs, on one SSH connection kept for the file.
    const keys = ensureKeys(env.data.keysDir);
    ssh = await GuestSsh.connectOnce({
      port: (await env.status()).sshPort!,
      privateKey: keys.clientPrivateKey,
      hostPublicKey: keys.hostPublicKey,
    });
    vm = (cmd) => ssh!.exec(cmd, { timeoutMs: 300_000 });
    await buildScratch(env.docker(), IMG, 'conformance');
    const keep = await host(`docker run -d --name keep ${IMG} sleep 3600 && mkdir -p ${DIR}`);
    assert.equal(keep.code, 0, keep.stderr);
    // A container's whole life, in a time window both sides then ask about.
    events.since = Math.floor(Date.now() / 1000) - 1;
    assert.equal((await host(`docker run --rm --name ev ${IMG} true`)).code, 0);
    events.until = Math.floor(Date.now() / 1000) + 2;
    while (Date.now() / 1000 < events.until + 1) await new Promise((r) => setTimeout(r, 200));
  });
  after(async () => {
    await host(
      `docker rm -f keep srv >/dev/null 2>&1; docker rmi ${IMG} berth-conf/built >/dev/null 2>&1; docker image prune -f >/dev/null 2>&1; rm -rf ${DIR}`,
    ).catch(() => undefined);
    await vm(`rm -rf ${DIR}`).catch(() => undefined);
    ssh?.end();
    await env.dispose();
  });

  it('carries the docker socket over the virtio-serial data plane, not SSH', async () => {
    const st = await env.status();
    assert.equal(st.state, 'running');
    assert.equal(st.dataPlane, 'virtio-serial');
  });

  const cases: Case[] = [
    { name: 'run, attached', cmd: `docker run --rm ${IMG} echo hi` },
    { name: 'run, exit code and stderr apart', cmd: `docker run --rm ${IMG} sh -c 'echo out; echo err >&2; exit 3'` },
    { name: 'run -i with stdin', cmd: `printf 'one\\ntwo\\n' | docker run --rm -i ${IMG} cat` },
    { name: 'run -t', cmd: `docker run --rm -t ${IMG} echo tty` },
    { name: 'exec', cmd: 'docker exec keep /bin/busybox echo from-exec' },
    { name: 'exec -i', cmd: `printf 'abcdef' | docker exec -i keep /bin/busybox wc -c` },
    {
      // docker's CLI (28.5 in the VM, 28.2 on the host) may return the exit code without the
      // output when its stdin has ended before it attached: seen on the VM's own CLI, with
      // nothing of Berth in between, when a loaded VM took over a second to start the CLI.
      // So stdin stays open until the container has exited, whatever the CLI's start-up time.
      // Stdin that ends at once is the `run -i` case above, where the container's stdin closes with it.
      name: 'attach (stdin, output, exit code passed on)',
      setup: `docker run -d -i --name att ${IMG} sh -c 'read l; echo got:$l; sleep 1; exit 4' >/dev/null`,
      cmd: `(printf 'hello\\n'; while [ "$(docker inspect -f '{{.State.Running}}' att)" = true ]; do sleep 0.3; done) | docker attach att`,
      cleanup: 'docker rm -f att >/dev/null',
    },
    {
      name: 'logs -f (ends with the container)',
      setup: `docker run -d --name lg ${IMG} sh -c 'for i in 1 2 3; do echo line$i; sleep 0.3; done' >/dev/null`,
      cmd: 'docker logs -f lg',
      cleanup: 'docker rm -f lg >/dev/null',
    },
    {
      name: 'cp into and out of a container',
      setup: `mkdir -p ${DIR} && printf 'payload\\n' > ${DIR}/in.txt && rm -f ${DIR}/out.txt`,
      cmd: `docker cp ${DIR}/in.txt keep:/in.txt && docker cp keep:/in.txt ${DIR}/out.txt && cat ${DIR}/out.txt && docker exec keep /bin/busybox cat /in.txt`,
    },
    {
      name: 'build with DOCKER_BUILDKIT=0 (legacy builder), then run the result',
      setup: `mkdir -p ${DIR}/ctx && printf 'FROM ${IMG}\\nRUN ["/bin/busybox", "sh", "-c", "echo built > /b"]\\n' > ${DIR}/ctx/Dockerfile`,
      cmd: `DOCKER_BUILDKIT=0 docker build -q -t berth-conf/built ${DIR}/ctx 2>/dev/null | cut -c1-7 && docker run --rm berth-conf/built cat /b`,
    },
    {
      // With buildx present `docker build` is BuildKit: the context (16 MiB here) and the secret
      // travel in BuildKit's session, a gRPC stream inside the hijacked /session connection.
      // `--secret` fails outright on the legacy builder, so this cannot pass without BuildKit.
      name: 'build with BuildKit (buildx): a 16 MiB context and a build secret, then run the result',
      setup:
        `mkdir -p ${DIR}/bk && yes berth | head -c 16777216 > ${DIR}/bk/big && printf 's3cret' > ${DIR}/secret && ` +
        `printf 'FROM ${IMG}\\nCOPY big /big\\nRUN --mount=type=secret,id=s ["/bin/busybox", "sh", "-c", "/bin/busybox cat /run/secrets/s > /s"]\\n' > ${DIR}/bk/Dockerfile`,
      cmd: `docker build -q --secret id=s,src=${DIR}/secret -t berth-conf/bk ${DIR}/bk >/dev/null && docker run --rm berth-conf/bk /bin/busybox sh -c '/bin/busybox md5sum /big; /bin/busybox cat /s'`,
      cleanup: 'docker rmi berth-conf/bk >/dev/null',
    },
    { name: 'save | load', cmd: `docker save ${IMG} | docker load` },
    {
      name: 'export | import',
      setup: `docker create --name exp ${IMG} >/dev/null`,
      cmd: 'docker export exp | docker import - berth-conf/imported >/dev/null && docker run --rm berth-conf/imported /bin/busybox cat /marker',
      cleanup: 'docker rm exp >/dev/null; docker rmi berth-conf/imported >/dev/null',
    },
    {
      name: 'wait',
      setup: `docker run -d --name waiter ${IMG} sh -c 'exit 7' >/dev/null`,
      cmd: 'docker wait waiter',
      cleanup: 'docker rm waiter >/dev/null',
    },
    { name: 'events --since/--until', cmd: '' }, // filled in below: the window is known only at run time
    { name: 'stats --no-stream', cmd: "docker stats --no-stream --format '{{.Name}}' keep" },
  ];

  for (const c of cases) {
    it(`${c.name}: the host CLI through Berth prints what the VM prints`, async () => {
      const cmd =
        c.cmd ||
        `docker events --since ${events.since} --until ${events.until} --filter container=ev --format '{{.Type}} {{.Action}}'`;
      const both: Run[] = [];
      for (const side of [host, vm]) {
        if (c.setup) {
          const set = await side(c.setup);
          assert.equal(set.code, 0, `setup: ${c.setup}\n${set.stderr}`);
        }
        both.push(await side(cmd));
        if (c.cleanup) await side(c.cleanup);
      }
      const [h, v] = both as [Run, Run];
      assert.ok(
        v.stdout.length > 0 || c.name.startsWith('events'),
        `the VM printed something for: ${cmd}\n${v.stderr}`,
      );
      assert.deepEqual(
        { stdout: h.stdout, code: h.code },
        { stdout: v.stdout, code: v.code },
        `host vs VM for: ${cmd}\nhost stderr: ${h.stderr}\nVM stderr: ${v.stderr}`,
      );
    });
  }

  it("events in the window are the container's whole life", async () => {
    const r = await host(
      `docker events --since ${events.since} --until ${events.until} --filter container=ev --format '{{.Action}}'`,
    );
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .filter((a) => ['create', 'start', 'die', 'destroy'].includes(a)),
      ['create', 'start', 'die', 'destroy'],
    );
  });

  it('a published TCP port keeps half-close, and a published UDP port answers, as inside the VM', async () => {
    const tcp = await freeTcpPort();
    const udp = await freeTcpPort();
    const run = await host(`docker run -d --name srv -p ${tcp}:9000 -p ${udp}:9001/udp ${echoServerArgs(IMG)}`);
    assert.equal(run.code, 0, run.stderr);
    // The container runs before its server listens: wait for the server's own word.
    await waitFor(
      'the servers',
      async () => ((await host('docker logs srv')).stdout.includes('ready') ? true : undefined),
      120_000,
    );
    await waitFor('the forwards', async () => {
      const st = await env.status();
      const ours = (st.ports ?? []).filter((p) => p.container === 'srv').map((p) => p.containerPort);
      return ours.includes('9000/tcp') && ours.includes('9001/udp') ? true : undefined;
    });
    const client = [
      `const net=require('net'),dgram=require('dgram');const out=[];`,
      `const s=net.connect({port:${tcp},host:'127.0.0.1',allowHalfOpen:true},()=>s.end('hello world'));`,
      `let got='';s.on('data',d=>got+=d);s.on('end',()=>{out.push('tcp:'+got.trim());`,
      `const u=dgram.createSocket('udp4');const t=setTimeout(()=>{console.log(out.join(' ')+' udp:timeout');process.exit(1)},5000);`,
      `u.on('message',m=>{clearTimeout(t);out.push('udp:'+m);console.log(out.join(' '));u.close()});`,
      `const ping=()=>u.send('ping',${udp},'127.0.0.1');ping();setInterval(ping,500).unref()});`,
    ].join('');
    const fromHost = await hostCommand(process.env)(`${JSON.stringify(process.execPath)} -e "${client}"`);
    const inVm = await vm(`node -e "${client}"`);
    await host('docker rm -f srv >/dev/null');
    assert.equal(inVm.stdout.trim(), 'tcp:11 udp:echo:ping', `inside the VM: ${inVm.stderr}`);
    assert.deepEqual(
      { out: fromHost.stdout, code: fromHost.code },
      { out: inVm.stdout, code: inVm.code },
      fromHost.stderr,
    );
  });
});
