// The engine side of "Apply & Restart": dockerd restarted with the new configuration, the VM with
// the new resources, only where the changes need it and the engine runs; and, when that fails, the
// engine brought back to the previous settings.
import type { EnginePort } from './engine-port.ts';
import { strongest, type SettingChange } from './restart.ts';
import type { Settings } from './schema.ts';
import { STORE_LABEL, storeOf } from '../../../engine/shared/image-store.ts';

/** What an apply restarted so far: a rollback restarts the same. */
export interface Restarted {
  engine: boolean;
  vm: boolean;
}

export async function applyToEngine(
  port: EnginePort,
  previous: Settings,
  next: Settings,
  changes: SettingChange[],
  progress: (m: string) => void,
  done: Restarted,
): Promise<void> {
  const restart = strongest(changes.map((c) => c.restart));
  if (restart === 'none') return;
  if (!port.isRunning()) {
    progress('The engine is not running: the new settings take effect when it starts.');
    return;
  }
  if (changes.some((c) => c.restart === 'engine')) {
    done.engine = true;
    if (previous.useContainerdSnapshotter !== next.useContainerdSnapshotter) {
      progress(`Switching the image store to ${STORE_LABEL[storeOf(next)]}: the Docker Engine restarts.`);
    } else {
      progress('Restarting the Docker Engine with the new daemon.json keys and features.');
    }
    await port.applyEngineConfig(
      {
        useContainerdSnapshotter: next.useContainerdSnapshotter,
        dockerEngine: next.dockerEngine,
        features: next.features,
        switching: previous.useContainerdSnapshotter !== next.useContainerdSnapshotter,
      },
      progress,
    );
  }
  if (restart === 'vm') {
    done.vm = true;
    progress('Restarting the VM with the new resources.');
    await port.restartVm(progress);
  }
}

/** Best effort: the engine back on the settings that are saved again. Returns the failure, if any. */
export async function restoreEngine(
  port: EnginePort,
  previous: Settings,
  done: Restarted,
  progress: (m: string) => void,
): Promise<string | null> {
  try {
    if (done.vm) {
      progress('Restarting the VM with the previous resources.');
      await port.restartVm(progress);
    }
    if (done.engine && port.isRunning()) {
      progress('Restarting the Docker Engine with the previous configuration.');
      await port.applyEngineConfig(
        {
          useContainerdSnapshotter: previous.useContainerdSnapshotter,
          dockerEngine: previous.dockerEngine,
          features: previous.features,
        },
        progress,
      );
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
