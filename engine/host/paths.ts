// Where Berth keeps its state. One data dir per install; BERTH_HOME overrides the platform default.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';

export function defaultDataDir(platform: NodeJS.Platform = process.platform, env = process.env): string {
  if (env.BERTH_HOME) return path.resolve(env.BERTH_HOME);
  const home = os.homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Berth');
    case 'win32':
      return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Berth');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'berth');
  }
}

/** Where the console of the boot before this one is kept. */
export function previousConsoleLog(consoleLog: string): string {
  return consoleLog.replace(/(\.log)?$/, '.previous.log');
}

/** Every path under the data dir, in one place so nothing invents its own. */
export class DataDir {
  constructor(readonly root: string = defaultDataDir()) {}
  get runDir(): string {
    return path.join(this.root, 'run');
  }
  get vmDir(): string {
    return path.join(this.root, 'vm');
  }
  get keysDir(): string {
    return path.join(this.root, 'keys');
  }
  get logsDir(): string {
    return path.join(this.root, 'logs');
  }
  get dockerSocket(): string {
    return path.join(this.runDir, 'docker.sock');
  }
  get agentSocket(): string {
    return path.join(this.runDir, 'agent.sock');
  }
  get controlSocket(): string {
    return path.join(this.runDir, 'berth.sock');
  }
  get qmpSocket(): string {
    return path.join(this.runDir, 'qmp.sock');
  }
  get muxSocket(): string {
    return path.join(this.runDir, 'mux.sock');
  }
  get bootSocket(): string {
    return path.join(this.runDir, 'boot.sock');
  }
  get consoleLog(): string {
    return path.join(this.logsDir, 'console.log');
  }
  get previousConsoleLog(): string {
    return previousConsoleLog(this.consoleLog);
  }
  get hostLog(): string {
    return path.join(this.logsDir, 'host.log');
  }
  get dataDisk(): string {
    return path.join(this.vmDir, 'data.qcow2');
  }
  get settingsFile(): string {
    return path.join(this.root, 'settings.json');
  }
  get stateFile(): string {
    return path.join(this.runDir, 'state.json');
  }
  /** What the running VM's host wrote down for the next one (vm-record.ts). */
  get vmRecordFile(): string {
    return path.join(this.runDir, 'vm.json');
  }

  /** Creates the tree with owner-only permissions: it holds keys and sockets. */
  ensure(): void {
    for (const dir of [this.root, this.runDir, this.vmDir, this.keysDir, this.logsDir]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
    }
  }
}
