// The guest's half of the start timeline, from systemd's and dockerd's own words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentStartup, earlySetup, parseDockerdPhases, parseUnitTimes } from '../../engine/host/guest-timeline.ts';

test('unit times: start and ready on the guest clock, units that never ran left out', () => {
  const text = [
    'Id=containerd.service\nExecMainStartTimestampMonotonic=9100000\nInactiveExitTimestampMonotonic=9000000\nActiveEnterTimestampMonotonic=12350000',
    'Id=docker.service\nExecMainStartTimestampMonotonic=12400000\nInactiveExitTimestampMonotonic=12400000\nActiveEnterTimestampMonotonic=30900000',
    'Id=ssh.service\nExecMainStartTimestampMonotonic=0\nInactiveExitTimestampMonotonic=0\nActiveEnterTimestampMonotonic=0',
  ].join('\n\n');
  assert.deepEqual(parseUnitTimes(text), [
    { stage: 'guest: containerd.service', startMs: 9100, ms: 3250 },
    { stage: 'guest: docker.service', startMs: 12400, ms: 18500 },
  ]);
});

test("dockerd's phases: each lasts until the next begins, the last until the unit is ready", () => {
  const journal = [
    '[   12.501234] berth dockerd[612]: time="…" level=info msg="Starting up"',
    '[   14.100000] berth dockerd[612]: time="…" level=info msg="Loading containers: start."',
    '[   24.200000] berth dockerd[612]: time="…" level=info msg="Loading containers: done."',
    '[   30.000000] berth dockerd[612]: time="…" level=info msg="Daemon has completed initialization"',
    '[   30.100000] berth dockerd[612]: time="…" level=info msg="Loading containers: start."',
  ].join('\n');
  assert.deepEqual(parseDockerdPhases(journal, 30_900), [
    { stage: 'dockerd: start-up', startMs: 12501, ms: 1599 },
    { stage: 'dockerd: loading containers', startMs: 14100, ms: 10100 },
    { stage: 'dockerd: daemon initialization', startMs: 24200, ms: 5800 },
    { stage: 'dockerd: API', startMs: 30000, ms: 900 },
  ]);
});

test("the agent's start-up: from its unit's start to its first 'listening on' line", () => {
  const units = [{ stage: 'guest: berth-agent.service', startMs: 12_960, ms: 0 }];
  const journal = [
    '[   20.807227] berth node[332]: agent: virtio mux serving /dev/virtio-ports/berth.mux',
    '[   20.877653] berth node[332]: agent 1 listening on /run/berth/agent.sock',
    '[   31.000000] berth node[401]: agent 1 listening on /run/berth/agent.sock',
  ].join('\n');
  assert.deepEqual(agentStartup(units, journal), { stage: 'guest: agent start-up', startMs: 12_960, ms: 7918 });
  assert.equal(
    agentStartup(units, '[   20.8] berth node[332]: agent: cannot listen on /run/berth/agent.sock'),
    null,
    'never listened',
  );
  assert.equal(agentStartup([], journal), null, 'the unit never ran');
});

test("the early set-up: from berth-init's first line to the last of its parts' ready lines", () => {
  const log = [
    '[    4.098406] berth kernel: berth-init: early set-up',
    '[    4.735295] berth kernel: berth-init: shared folder /root',
    '[    4.735795] berth kernel: berth-init: ready (early)',
    '[    5.452689] berth kernel: berth-net: network ready',
  ].join('\n');
  assert.deepEqual(earlySetup(log), { stage: 'guest: early set-up (initramfs)', startMs: 4098, ms: 1355 });
  // The agent's fetch, when it ends last, ends the stage.
  assert.deepEqual(earlySetup(`${log}\n[    5.9] berth kernel: berth-agent-fetch: agent updated from the host`), {
    stage: 'guest: early set-up (initramfs)',
    startMs: 4098,
    ms: 1802,
  });
  // A boot whose units did the set-up (a disk to format, upgrade or refuse) has no early stage.
  assert.equal(
    earlySetup('[    7.1] berth kernel: berth-init: ready\n[    7.2] berth kernel: berth-net: network ready'),
    null,
  );
  // berth-net failed early (its unit runs it later): the stage ends with berth-init's part.
  assert.deepEqual(earlySetup(log.split('\n').slice(0, 3).join('\n')), {
    stage: 'guest: early set-up (initramfs)',
    startMs: 4098,
    ms: 638,
  });
});
