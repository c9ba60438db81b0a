// The daemon.json a boot hands to the guest: the store toggle plus the user's keys, the same
// document the guest agent writes on an Apply & Restart (daemon-config.ts holds the rules).
import { parseDaemonJson, serialize, withStore, withUserKeys } from '../agent/daemon-config.ts';

export function bootDaemonJson(store: 'containerd' | 'classic', userDaemonJson: string): string {
  return serialize(withUserKeys(withStore({}, store), parseDaemonJson(userDaemonJson)));
}
