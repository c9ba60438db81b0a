// Shares are a setting (real VM): a folder added to fileSharing is announced as a VM restart,
// applied with one (`berth settings set`, the dashboard's Apply & Restart), and then visible in a
// container's bind mount; a path that does not exist, or is a file, is refused with that reason
// and changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { BerthEnv } from '../helpers/berth-env.ts';
import { buildImage } from '../helpers/docker-ops.ts';
import { watcherContext } from '../helpers/inotify-watcher.ts';

const IMAGE = 'berth-test/share-settings:1';

/** Runs busybox `sh -c script` in a container with `bind` mounted, to its end; its output. */
async function runWith(docker: Docker, bind: string, script: string): Promise<{ code: number; output: string }> {
  const c = await docker.createContainer({
    Image: IMAGE,
    Entrypoint: ['/bin/busybox'],
    Cmd: ['sh', '-c', script],
    Tty: true,
    HostConfig: { Binds: [bind] },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    return { code: StatusCode, output: (await c.logs({ stdout: true, stderr: true })).toString().replace(/\r/g, '') };
  } finally {
    await c.remove({ force: true });
  }
}

describe('shared folders as a setting (real VM)', { timeout: 1_800_000 }, () => {
  const env = new BerthEnv({ shared: true });
  const extra = path.join(env.root, 'extra-share');
  const notes = path.join(env.root, 'a-file.txt');
  const sharing = async (): Promise<string[]> => {
    const r = await env.cli(['settings', 'get']);
    assert.equal(r.code, 0, `settings get failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return (JSON.parse(r.stdout) as { fileSharing: string[] }).fileSharing;
  };

  before(async () => {
    env.prepareShare();
    const r = await env.start();
    assert.equal(r.code, 0, `berth start failed:\n${r.stdout}\n${r.stderr}`);
    fs.rmSync(extra, { recursive: true, force: true });
    fs.mkdirSync(extra, { mode: 0o755 });
    fs.writeFileSync(path.join(extra, 'marker.txt'), 'shared after the restart\n');
    fs.writeFileSync(notes, 'not a folder\n');
    if (process.getuid?.() === 0)
      for (const p of [extra, path.join(extra, 'marker.txt')]) fs.chownSync(p, env.shareOwner.uid, env.shareOwner.gid);
    await buildImage(env.docker(), watcherContext(), { t: IMAGE });
  });
  after(async () => {
    await env
      .docker()
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
    await env.dispose(); // puts fileSharing back (one more Apply & Restart)
    fs.rmSync(extra, { recursive: true, force: true });
    fs.rmSync(notes, { force: true });
  });

  it('a folder added in settings is visible in a container after Apply & Restart', async () => {
    const was = await sharing();
    assert.ok(!was.includes(extra));
    // Before: the VM has no such folder; docker makes an empty one in the VM for the bind mount.
    const before = await runWith(env.docker(), `${extra}:/x`, 'ls -A /x; echo end');
    assert.equal(before.output.trim(), 'end', `not shared yet: ${before.output}`);
    const want = [...was, extra];
    const proposal = await env.cli(['settings', 'propose', `fileSharing=${JSON.stringify(want)}`]);
    assert.equal(proposal.code, 0, proposal.stderr);
    assert.match(proposal.stdout, /fileSharing: .*\(VM restart\)/, 'the restart is said before applying');
    assert.match(proposal.stdout, /Applying restarts the VM\./);
    const t0 = Date.now();
    const set = await env.cli(['settings', 'set', `fileSharing=${JSON.stringify(want)}`]);
    assert.equal(set.code, 0, `settings set failed:\n${set.stdout}\n${set.stderr}`);
    console.log(`Apply & Restart with a new share: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const st = await env.status();
    assert.equal(st.state, 'running');
    assert.ok(st.fileSharing?.shared.includes(extra), `status names the new share: ${JSON.stringify(st.fileSharing)}`);
    const seen = await runWith(env.docker(), `${extra}:/x`, 'cat /x/marker.txt && echo from-container > /x/back.txt');
    assert.equal(seen.code, 0, seen.output);
    assert.equal(seen.output, 'shared after the restart\n');
    assert.equal(
      fs.readFileSync(path.join(extra, 'back.txt'), 'utf8'),
      'from-container\n',
      'and written back to the host',
    );
  });

  it('a missing path or a file is refused with its reason, and nothing changes', async () => {
    const was = await sharing();
    const missing = path.join(env.root, 'no-such-folder');
    for (const [bad, reason] of [
      [missing, /does not exist/],
      [notes, /is not a folder/],
    ] as const) {
      const r = await env.cli(['settings', 'set', `fileSharing=${JSON.stringify([...was, bad])}`]);
      assert.notEqual(r.code, 0, `accepted ${bad}: ${r.stdout}`);
      const said = `${r.stdout}\n${r.stderr}`;
      assert.match(said, reason, said);
      assert.ok(said.includes(bad), `the refusal names the path: ${said}`);
    }
    assert.deepEqual(await sharing(), was, 'the settings are unchanged');
  });
});
