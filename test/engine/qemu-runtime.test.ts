// The QEMU the engine runs, on this host as scripts/setup.sh left it: on Debian bookworm, whose
// QEMU (7.2) is older than 10, setup unpacks bookworm-backports' QEMU into Berth's cache and the
// engine selects it. This fails, and does not skip, when setup could not: the engine would be on
// the old QEMU. The selected binary must run (--version ≥ 10) and boot Berth's own kernel to its
// first userspace attempt with its own firmware (-L), under TCG. No engine is started.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bookwormHost } from '../../engine/host/private-apt.ts';
import { QEMU_MIN_MAJOR, selectQemu, systemQemuBinary, versionParts } from '../../engine/host/qemu-runtime.ts';
import { qemuBinary } from '../../engine/host/qemu-args.ts';
import { qemuDriver } from '../../engine/host/qemu-driver.ts';
import { qemuVersion } from '../../engine/host/vm-files.ts';
import { kernelBoot } from '../../engine/host/kernel-probe.ts';
import { locateImage } from '../../engine/image/locate.ts';

const major = (v: string | undefined): number => versionParts(v ?? '')[0] ?? 0;
const system = qemuVersion(systemQemuBinary());
const notBookworm = bookwormHost();
const older = notBookworm === null && system !== undefined && major(system) < QEMU_MIN_MAJOR;
const env = { ...process.env, BERTH_QEMU: '' };

describe('the QEMU the engine runs', { timeout: 120_000 }, () => {
  it('on Debian bookworm with an older QEMU: the bundled QEMU ≥ 10, and it runs', {
    skip: older
      ? false
      : `not Debian bookworm with a QEMU older than ${QEMU_MIN_MAJOR} (${notBookworm ?? `system QEMU ${system}`})`,
  }, () => {
    const choice = selectQemu(env);
    assert.equal(
      choice.source,
      'bundled',
      `setup.sh did not unpack QEMU ${QEMU_MIN_MAJOR} from bookworm-backports: ${choice.reason}`,
    );
    assert.equal(qemuBinary(env), choice.binary, "qemuBinary() is the selection's");
    const ran = qemuVersion(choice.binary);
    assert.ok(major(ran) >= QEMU_MIN_MAJOR, `${choice.binary} --version says ${ran}`);
    assert.equal(ran, choice.version);
    assert.match(
      choice.reason,
      new RegExp(`^bundled QEMU ${ran} from bookworm-backports \\(system QEMU ${system} is older\\)$`),
    );
  });

  it("the selected QEMU (the driver's) boots Berth's kernel under TCG", async () => {
    const driver = qemuDriver();
    assert.equal(driver.binary, selectQemu().binary);
    assert.ok(driver.reason, 'the driver says why');
    const image = locateImage();
    const boot = await kernelBoot(driver.binary, 'tcg', image.kernel, { timeoutMs: 90_000 });
    assert.equal(
      boot.failure,
      null,
      `${driver.binary} (${driver.reason}): ${boot.failure}\n${boot.console.join('\n')}`,
    );
  });
});
