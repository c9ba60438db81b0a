// The tray's icon, tooltip and menu as data, from the engine's status and the image store.
// The Electron side only draws it (electron-ports.ts), so every state is unit-tested.
import type { EngineStatus } from '../../../engine/host/engine-types.ts';
import type { ImageStore } from '../../node-host/api/store-types.ts';

export const TRAY_STATES = ['running', 'starting', 'stopped', 'error'] as const;
export type TrayState = (typeof TRAY_STATES)[number];

export type TrayAction = 'dashboard' | 'settings' | 'restart' | 'troubleshoot' | 'quit';

export type TrayItem =
  | { type: 'separator' }
  | { type: 'item'; id: string; label: string; enabled: boolean; action?: TrayAction };

export interface TrayModel {
  state: TrayState;
  tooltip: string;
  items: TrayItem[];
}

/** Which store is active: what the engine reports once it runs, else what the settings select. */
export interface StoreView {
  reported?: ImageStore;
  selected?: ImageStore;
}

export function trayState(state: EngineStatus['state']): TrayState {
  // Stopping is a transition like starting: the same busy icon.
  return state === 'stopping' ? 'starting' : state;
}

const ACCEL: Record<string, string> = { kvm: 'KVM', hvf: 'Hypervisor.framework', whpx: 'Hyper-V', tcg: 'emulated' };

export function statusLine(s: EngineStatus): string {
  switch (s.state) {
    case 'running':
      return `Docker Engine running${s.accelerator ? ` (${ACCEL[s.accelerator] ?? s.accelerator})` : ''}`;
    case 'starting':
      return `Docker Engine starting${s.stage ? `: ${s.stage}` : '…'}`;
    case 'stopping':
      return 'Docker Engine stopping…';
    case 'stopped':
      return 'Docker Engine stopped';
    case 'error':
      return `Docker Engine failed: ${truncate(s.error?.message ?? 'unknown error', 56)}`;
  }
}

export function storeLine(s: EngineStatus, store: StoreView): string {
  const name = (st: ImageStore): string => (st === 'containerd' ? 'containerd' : 'classic (overlay2)');
  if (s.state === 'running' && store.reported) return `Image store: ${name(store.reported)}`;
  if (store.selected)
    return `Image store: ${name(store.selected)} (${s.state === 'running' ? 'selected' : 'at next start'})`;
  return 'Image store: unknown';
}

export function trayModel(s: EngineStatus, store: StoreView, quitting = false): TrayModel {
  const state = trayState(s.state);
  const busy = s.state === 'starting' || s.state === 'stopping' || quitting;
  const status = quitting ? 'Quitting: stopping the VM…' : statusLine(s);
  const items: TrayItem[] = [
    { type: 'item', id: 'status', label: status, enabled: false },
    { type: 'item', id: 'store', label: storeLine(s, store), enabled: false },
    { type: 'separator' },
    { type: 'item', id: 'dashboard', label: 'Dashboard', enabled: !quitting, action: 'dashboard' },
    { type: 'item', id: 'settings', label: 'Settings', enabled: !quitting, action: 'settings' },
    {
      type: 'item',
      id: 'restart',
      label: s.state === 'stopped' ? 'Start' : 'Restart',
      enabled: !busy,
      action: 'restart',
    },
    { type: 'item', id: 'troubleshoot', label: 'Troubleshoot', enabled: !quitting, action: 'troubleshoot' },
    { type: 'separator' },
    { type: 'item', id: 'quit', label: 'Quit Berth', enabled: !quitting, action: 'quit' },
  ];
  return { state, tooltip: `Berth: ${status}`, items };
}

/** The tray image for a state: 16 px (Electron adds the @2x file on HiDPI); Linux panels get 32 px. */
export function trayIconFile(state: TrayState, platform: NodeJS.Platform): string {
  return platform === 'linux' ? `tray/${state}@2x.png` : `tray/${state}.png`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The model as Electron menu template entries (plain data plus click handlers). */
export function trayMenuTemplate(
  model: TrayModel,
  onAction: (a: TrayAction) => void,
): Array<{ type: 'separator' } | { label: string; enabled: boolean; click?: () => void }> {
  return model.items.map((i) => {
    if (i.type === 'separator') return { type: 'separator' as const };
    const action = i.action;
    return { label: i.label, enabled: i.enabled, ...(action ? { click: () => onAction(action) } : {}) };
  });
}
