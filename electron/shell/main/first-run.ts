// Starting the engine from the app, with progress for the window; the first run (no settings
// file yet) also records the default settings and creates the `berth` docker context.
import fs from 'node:fs';
import {
  START_STAGES,
  type EngineStatus,
  type StartStage,
  type StartStageName,
} from '../../../engine/host/engine-types.ts';
import type { DataDir } from '../../../engine/host/paths.ts';
import { storeOf } from '../../../engine/shared/image-store.ts';

const STAGE_TEXT: Record<StartStageName, string> = {
  image: 'preparing the VM image',
  accelerator: 'choosing the accelerator',
  boot: 'booting the VM',
  socket: 'forwarding the Docker socket',
  dockerd: 'starting the Docker Engine',
  agent: 'starting the guest agent',
  store: 'selecting the image store',
  versions: "reading the engine's versions",
  context: 'writing the docker context',
  retry: 'booting the VM once more',
  fallback: 'falling back to emulation (TCG)',
  adopt: 'taking over the VM that is already running',
  replace: 'stopping the VM an earlier Berth host left running',
};

export interface Progress {
  title: string;
  fraction: number;
}

/** Whether this data dir has never run Berth: the settings service writes its file on first start. */
export function isFirstRun(data: Pick<DataDir, 'settingsFile'>): boolean {
  return !fs.existsSync(data.settingsFile);
}

/** A detour (retry, fallback) or a stage this list does not know (a newer engine) keeps the bar where it was: it never moves back. */
export function stageProgress(st: StartStage, setup: boolean, previous = 0): Progress {
  const i = (START_STAGES as readonly string[]).indexOf(st.stage);
  const fraction = Math.max(previous, i < 0 ? 0 : (i + 1) / (START_STAGES.length + 1));
  return {
    title: `${setup ? 'Setting up Berth' : 'Starting the Docker Engine'}: ${STAGE_TEXT[st.stage as StartStageName] ?? st.stage}`,
    fraction,
  };
}

export interface StartEngineLike {
  start(): Promise<EngineStatus>;
  on(event: 'stage', listener: (s: StartStage) => void): unknown;
  off(event: 'stage', listener: (s: StartStage) => void): unknown;
}

export interface StartDeps {
  engine: StartEngineLike;
  /** null clears the window's progress. */
  progress(p: Progress | null): void;
  log(line: string): void;
}

export interface FirstRunDeps extends StartDeps {
  /** The settings the first start runs with (the clean-install defaults the settings service wrote). */
  settings(): { useContainerdSnapshotter: boolean };
  dockerSocket: string;
  /** Creates or updates the `berth` docker context; returns the file it wrote. */
  writeContext(socket: string): string;
}

export interface StartResult {
  ok: boolean;
  status?: EngineStatus;
  error?: string;
  contextFile?: string;
}

/** Starts the engine, reporting each stage; failure is reported, not thrown (the status shows it too). */
export async function startWithProgress(d: StartDeps, setup = false): Promise<StartResult> {
  let last = 0.02;
  const onStage = (st: StartStage): void => {
    const p = stageProgress(st, setup, last);
    last = p.fraction;
    d.progress(p);
  };
  d.engine.on('stage', onStage);
  d.progress({
    title: setup ? 'Setting up Berth: starting the Docker Engine' : 'Starting the Docker Engine',
    fraction: 0.02,
  });
  try {
    const status = await d.engine.start();
    d.progress(null);
    return { ok: true, status };
  } catch (e) {
    const error = (e as Error).message;
    d.log(`engine start failed: ${error}`);
    d.progress({ title: `Berth: the Docker Engine failed to start: ${error}`, fraction: -1 });
    return { ok: false, error };
  } finally {
    d.engine.off('stage', onStage);
  }
}

export async function runFirstRun(d: FirstRunDeps): Promise<StartResult> {
  const s = d.settings();
  d.log(`first run: default settings, ${storeOf(s)} image store`);
  const started = await startWithProgress(d, true);
  if (!started.ok) return started;
  d.progress({ title: 'Setting up Berth: creating the "berth" docker context', fraction: 0.98 });
  let contextFile: string;
  try {
    contextFile = d.writeContext(d.dockerSocket);
  } catch (e) {
    const error = `could not create the "berth" docker context: ${(e as Error).message}`;
    d.progress({ title: `Berth: ${error}`, fraction: -1 });
    return { ...started, ok: false, error };
  }
  d.log(`first run: docker context "berth" written to ${contextFile}`);
  d.progress(null);
  return { ...started, contextFile };
}
