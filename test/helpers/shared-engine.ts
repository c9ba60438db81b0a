// The engine scripts/test.sh boots once for every test file that can share one:
//   node bin/run-ts.js test/helpers/shared-engine.ts start FILE   (FILE: its data dir, BERTH_SHARED_HOME)
//   node bin/run-ts.js test/helpers/shared-engine.ts stop DIR
// Its host runs with HOME=shareRoot, so the default settings (which a factory reset restores)
// already share that folder, owned by uid 1000 when tests run as root, like a real user's home.
import fs from 'node:fs';
import path from 'node:path';
import { BerthEnv, createShareRoot, runCli } from './berth-env.ts';
import { printGuestCrash } from './guest-crash.ts';
import { DataDir } from '../../engine/host/paths.ts';

async function start(file: string): Promise<number> {
  const env = new BerthEnv();
  // Written before the boot, so that an interrupted run still stops it.
  fs.writeFileSync(file, env.data.root);
  createShareRoot(env);
  env.useShareRootAsHome();
  const r = await runCli(env.env, ['start'], 900_000);
  if (r.code !== 0) {
    process.stderr.write(`shared engine: berth start failed\n${r.stdout}${r.stderr}`);
    await runCli(env.env, ['stop'], 120_000).catch(() => undefined);
    fs.rmSync(env.root, { recursive: true, force: true });
    fs.rmSync(file, { force: true });
    return 1;
  }
  process.stdout.write(r.stdout);
  return 0;
}

async function stop(home: string): Promise<number> {
  const r = await runCli({ ...process.env, BERTH_HOME: home }, ['stop'], 120_000).catch((e: Error) => ({
    code: 1,
    stdout: '',
    stderr: e.message,
  }));
  if (r.code !== 0) process.stderr.write(`shared engine: berth stop: ${r.stderr}`);
  printGuestCrash(new DataDir(home));
  fs.rmSync(path.dirname(home), { recursive: true, force: true });
  return r.code;
}

const [cmd, dir] = process.argv.slice(2);
process.exitCode = cmd === 'start' && dir ? await start(dir) : cmd === 'stop' && dir ? await stop(dir) : 2;
