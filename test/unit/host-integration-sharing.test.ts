// File sharing: which folders get a share, QEMU's and virtiofsd's command lines, the fallback
// without virtiofsd, and a real virtiofsd (QEMU's, on this Debian host) started and stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  FileSharing,
  findVirtiofsd,
  folderProblem,
  planShares,
  shareOwner,
  sharesFileText,
  virtiofsMounts,
  virtiofsdCommand,
} from '../../engine/host/file-sharing.ts';
import { qemuArgs, virtiofsQemuArgs } from '../../engine/host/qemu-args.ts';
import { vmConfig } from './vm-config-fixture.ts';

test('planShares: existing folders, deduplicated, nested ones covered by their parent', () => {
  const dirs = new Set(['/home/u', '/home/u/src', '/data']);
  const plan = planShares(['/home/u/', '/home/u/src', '/home/u', '/missing', '/data'], (p) =>
    dirs.has(p) ? null : 'does not exist or is not a folder',
  );
  assert.deepEqual(plan.shares, [
    { tag: 'berth0', hostPath: '/data' },
    { tag: 'berth1', hostPath: '/home/u' },
  ]);
  assert.deepEqual(plan.skipped.map((s) => s.path).sort(), ['/home/u/src', '/missing']);
  assert.match(plan.skipped.find((s) => s.path === '/home/u/src')!.reason, /already shared as part of \/home\/u/);
  assert.equal(sharesFileText(plan.shares), 'berth0\t/data\nberth1\t/home/u\n');
});

test('folderProblem: a folder the share owner cannot open is not offered (its virtiofsd would fail the boot)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-share-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  assert.equal(folderProblem(dir), null);
  assert.match(folderProblem(path.join(dir, 'missing')) ?? '', /does not exist/);
  if (process.getuid?.() !== 0) return;
  // Root sharing for uid 1000: a 0700 root folder (like /root) is refused as that user.
  fs.chmodSync(dir, 0o700);
  assert.match(folderProblem(dir, { uid: 1000, gid: 1000 }) ?? '', /uid 1000 \(the share's owner\) cannot open it/);
  fs.chownSync(dir, 1000, 1000);
  assert.equal(folderProblem(dir, { uid: 1000, gid: 1000 }), null);
});

test('QEMU args: guest RAM in a shared memfd, one vhost-user-fs device per share, the list over fw_cfg', () => {
  const base = vmConfig({ memoryMiB: 3072 });
  const shares = {
    devices: [
      { tag: 'berth0', hostPath: '/home/u', socket: '/d/run/fs/berth0.sock' },
      { tag: 'berth1', hostPath: '/x', socket: '/d,x/berth1.sock' },
    ],
    listFile: '/d/run/fs/shares',
  };
  const text = qemuArgs({ ...base, shares }).join(' ');
  const memfd = /-object memory-backend-memfd,id=mem,size=3072M,share=on -numa node,memdev=mem/;
  assert.match(text, memfd);
  assert.match(
    text,
    /-chardev socket,id=fs0,path=\/d\/run\/fs\/berth0.sock -device vhost-user-fs-pci,chardev=fs0,tag=berth0/,
  );
  assert.match(text, /path=\/d,,x\/berth1.sock/, 'commas doubled for QEMU');
  assert.match(text, /-fw_cfg name=opt\/berth\/shares,file=\/d\/run\/fs\/shares/);
  assert.deepEqual(virtiofsQemuArgs({ devices: [], listFile: '/x' }), [], 'no shares: no devices');
  assert.doesNotMatch(
    qemuArgs({ ...base, shares: { devices: [] } }).join(' '),
    /memfd/,
    'no shares: no shared memory either',
  );
  const vhostNet = qemuArgs({ ...base, netdev: { kind: 'vhost-user', socket: '/r/passt.sock', mtu: 65520 } }).join(' ');
  assert.match(vhostNet, memfd, 'passt over vhost-user maps the guest RAM too');
  assert.equal(
    qemuArgs({ ...base, shares, netdev: { kind: 'vhost-user', socket: '/p', mtu: 65520 } })
      .join(' ')
      .match(/memory-backend/g)?.length,
    1,
  );
});

test('virtiofsd runs as the owning user in a user namespace unless Berth is root for root', () => {
  const base = { binary: '/usr/lib/qemu/virtiofsd', flavor: 'c' as const, socket: '/s.sock', source: '/home/u' };
  const root = virtiofsdCommand({ ...base, selfUid: 0, owner: { uid: 0, gid: 0 } });
  assert.equal(root.command, '/usr/lib/qemu/virtiofsd');
  assert.ok(root.args.includes('source=/home/u') && root.args.includes('sandbox=namespace'));
  const user = virtiofsdCommand({ ...base, selfUid: 1000, owner: { uid: 1000, gid: 1000 } });
  assert.equal(user.command, 'unshare');
  assert.deepEqual(user.args.slice(0, 4), ['--user', '--map-root-user', '--mount', '--']);
  assert.ok(user.args.includes('/usr/lib/qemu/virtiofsd') && user.args.includes('--rlimit-nofile=0'));
  const forUser = virtiofsdCommand({ ...base, selfUid: 0, owner: { uid: 1000, gid: 100 } });
  assert.deepEqual(
    [forUser.command, ...forUser.args.slice(0, 5)],
    ['setpriv', '--reuid=1000', '--regid=100', '--clear-groups', '--', 'unshare'],
  );
  const rust = virtiofsdCommand({ ...base, flavor: 'rust', selfUid: 0, owner: { uid: 0, gid: 0 } });
  assert.ok(rust.args.includes('--shared-dir=/home/u'));
});

test('owner, virtiofsd lookup and guest mounts', () => {
  assert.deepEqual(shareOwner({}, 1000, 1000), { uid: 1000, gid: 1000 });
  assert.deepEqual(shareOwner({ BERTH_SHARE_OWNER: '1000:100' }, 0, 0), { uid: 1000, gid: 100 });
  assert.deepEqual(
    shareOwner({ BERTH_SHARE_OWNER: '0:0' }, 1000, 1000),
    { uid: 1000, gid: 1000 },
    'only root can act for another user',
  );
  assert.throws(() => shareOwner({ BERTH_SHARE_OWNER: 'alice' }, 0, 0), /uid:gid/);
  assert.equal(
    findVirtiofsd({}, 'darwin', () => true),
    null,
  );
  assert.equal(
    findVirtiofsd(
      {},
      'linux',
      (p) => p === '/usr/lib/qemu/virtiofsd',
      () => null,
    ),
    '/usr/lib/qemu/virtiofsd',
  );
  // bookworm: the Rust one set-up unpacked comes before QEMU's C one; a system Rust one first.
  const bundled = () => '/cache/virtiofsd-1.13.2/virtiofsd';
  assert.equal(
    findVirtiofsd({}, 'linux', (p) => p === '/usr/lib/qemu/virtiofsd', bundled),
    bundled(),
  );
  assert.equal(
    findVirtiofsd({}, 'linux', () => true, bundled),
    '/usr/libexec/virtiofsd',
  );
  assert.equal(
    findVirtiofsd({ BERTH_VIRTIOFSD: '/nope' }, 'linux', () => false),
    null,
  );
  const mounts =
    'berth0 /home/u virtiofs rw,relatime 0 0\n/dev/vdb /mnt/data ext4 rw 0 0\nberth1 /my\\040docs virtiofs rw 0 0\n';
  assert.deepEqual(virtiofsMounts(mounts), ['/home/u', '/my docs']);
});

function tmpDirs(): { runDir: string; logsDir: string; share: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-share-unit-'));
  for (const d of ['run', 'logs', 'share']) fs.mkdirSync(path.join(root, d));
  return { runDir: path.join(root, 'run'), logsDir: path.join(root, 'logs'), share: path.join(root, 'share') };
}

test('without virtiofsd the VM starts without sharing, and says why', async () => {
  const d = tmpDirs();
  const fsh = await FileSharing.start({
    folders: [d.share],
    runDir: d.runDir,
    logsDir: d.logsDir,
    env: { BERTH_VIRTIOFSD: '/nonexistent/virtiofsd' },
  });
  assert.equal(fsh.status().mechanism, 'none');
  assert.match(fsh.status().message ?? '', /virtiofsd not found|no virtiofsd/);
  assert.deepEqual(fsh.devices(), { devices: [] });
  const none = await FileSharing.start({ folders: [], runDir: d.runDir, logsDir: d.logsDir });
  assert.match(none.status().message ?? '', /no folders configured/);
});

test('a real virtiofsd: started with its socket before QEMU, verified against the guest mounts, stopped', async () => {
  const d = tmpDirs();
  const fsh = await FileSharing.start({
    folders: [d.share, '/definitely/missing'],
    runDir: d.runDir,
    logsDir: d.logsDir,
    env: {},
  });
  try {
    assert.equal(fsh.status().mechanism, 'virtiofs', fsh.status().message);
    assert.deepEqual(fsh.status().shared, [d.share]);
    assert.match(fsh.status().message ?? '', /\/definitely\/missing: does not exist/);
    const socket = path.join(d.runDir, 'fs', 'berth0.sock');
    assert.ok(fs.statSync(socket).isSocket(), 'the daemon listens before QEMU starts');
    assert.deepEqual(fsh.devices(), {
      devices: [{ tag: 'berth0', hostPath: d.share, socket }],
      listFile: path.join(d.runDir, 'fs', 'shares'),
    });
    assert.equal(fs.readFileSync(path.join(d.runDir, 'fs', 'shares'), 'utf8'), `berth0\t${d.share}\n`);
    const verified = fsh.verify('/dev/vdb /mnt/data ext4 rw 0 0\n');
    assert.equal(verified.mechanism, 'none');
    assert.match(verified.message ?? '', /not mounted in the VM/);
  } finally {
    fsh.stop();
  }
  assert.equal(fs.existsSync(path.join(d.runDir, 'fs')), false, 'sockets removed');
});
