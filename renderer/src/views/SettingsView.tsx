// Settings: General (the image-store checkbox), Docker Engine (daemon.json) and Resources, with
// one Apply & Restart that is enabled only when something changed and says what will restart.
import { useEffect, useState, type ReactNode } from 'react';
import { restartSentence, type Proposal, type SettingsState } from '../../../electron/api/settings-types.ts';
import { useClient, useDash } from '../context.ts';
import { daemonJsonText, draftPatch } from '../state/settings-draft.ts';
import type { SettingsTab } from '../state/store.ts';
import { ErrorText, useAction } from './common.tsx';

const TABS: Array<[SettingsTab, string]> = [['general', 'General'], ['engine', 'Docker Engine'], ['resources', 'Resources']];

export function SettingsView(): ReactNode {
  const loaded = useDash((s) => s.settings);
  const tab = useDash((s) => s.settingsTab);
  const setTab = useDash((s) => s.setSettingsTab);
  if (!loaded) return <div className="view"><p role="status">Loading settings…</p></div>;
  if (loaded.value === undefined) return <div className="view"><h1>Settings</h1><ErrorText error={loaded.error} /></div>;
  const state = loaded.value;
  return (
    <div className="view settings">
      <h1>Settings</h1>
      <div role="tablist" aria-label="Settings sections" className="tabs" onKeyDown={(e) => {
        const i = TABS.findIndex(([t]) => t === tab);
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]![0];
          setTab(next);
          document.getElementById(`tab-${next}`)?.focus();
        }
      }}>
        {TABS.map(([t, label]) => (
          <button key={t} id={`tab-${t}`} type="button" role="tab" aria-selected={tab === t} aria-controls={`panel-${t}`}
            tabIndex={tab === t ? 0 : -1} onClick={() => setTab(t)}>{label}</button>
        ))}
      </div>
      {state.notices.map((n) => <p key={n} className="warning-text">{n}</p>)}
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
        {tab === 'general' ? <General state={state} /> : tab === 'engine' ? <EngineTab state={state} /> : <Resources state={state} />}
      </div>
      <ApplyBar state={state} />
    </div>
  );
}

function General({ state }: { state: SettingsState }): ReactNode {
  const draft = useDash((s) => s.draft);
  const setDraft = useDash((s) => s.setDraft);
  const checked = draft.useContainerdSnapshotter ?? state.settings.useContainerdSnapshotter;
  const locked = state.locked.includes('useContainerdSnapshotter');
  return (
    <div className="setting">
      <label className="check big">
        <input type="checkbox" checked={checked} disabled={locked} onChange={(e) => setDraft({ useContainerdSnapshotter: e.target.checked })} />
        Use containerd for pulling and storing images
      </label>
      <div className="explain">
        <p>Turns on the containerd image store: containerd pulls, pushes and stores your images instead of the classic
          Docker image store. It understands image indexes, so it can keep multi-platform images and images with
          attestations, and it uses containerd snapshotters instead of graph drivers.</p>
        <p>Images and containers are not shared between the two stores. When you switch, the images and containers of the
          store you leave are hidden, not deleted, and come back when you switch back.</p>
        {locked ? <p className="muted">Locked by your administrator.</p> : null}
      </div>
    </div>
  );
}

function EngineTab({ state }: { state: SettingsState }): ReactNode {
  const draft = useDash((s) => s.draft);
  const setDraft = useDash((s) => s.setDraft);
  const text = draft.daemonJsonText ?? daemonJsonText(state.settings);
  const { errors } = draftPatch(state.settings, { daemonJsonText: text });
  return (
    <div className="setting">
      <label className="field" htmlFor="daemon-json">Docker Engine configuration (daemon.json)</label>
      <p className="muted">Keys are passed to dockerd as they are. The image store is set in General.</p>
      <textarea id="daemon-json" className="code" spellCheck={false} rows={16} value={text} aria-invalid={errors.length > 0}
        aria-describedby="daemon-json-errors" onChange={(e) => setDraft({ daemonJsonText: e.target.value })} />
      <div id="daemon-json-errors">{errors.map((e) => <p key={e} className="error">{e}</p>)}</div>
    </div>
  );
}

function Resources({ state }: { state: SettingsState }): ReactNode {
  const draft = useDash((s) => s.draft);
  const setDraft = useDash((s) => s.setDraft);
  const cpus = draft.cpus ?? state.settings.vm.cpus;
  const mem = draft.memoryMiB ?? state.settings.vm.memoryMiB;
  return (
    <div className="setting">
      <label className="field">CPUs: <strong>{cpus}</strong>
        <input type="range" min={1} max={state.limits.maxCpus} step={1} value={cpus} onChange={(e) => setDraft({ cpus: Number(e.target.value) })} />
      </label>
      <label className="field">Memory: <strong>{(mem / 1024).toFixed(mem % 1024 ? 2 : 0)} GiB</strong>
        <input type="range" min={1024} max={state.limits.maxMemoryMiB} step={256} value={mem} onChange={(e) => setDraft({ memoryMiB: Number(e.target.value) })} />
      </label>
      <p className="muted">The VM may use up to {state.limits.maxCpus} CPUs and {(state.limits.maxMemoryMiB / 1024).toFixed(1)} GiB on this machine.</p>
    </div>
  );
}

function ApplyBar({ state }: { state: SettingsState }): ReactNode {
  const client = useClient();
  const draft = useDash((s) => s.draft);
  const resetDraft = useDash((s) => s.resetDraft);
  const progress = useDash((s) => s.settingsProgress);
  const clearProgress = useDash((s) => s.clearSettingsProgress);
  const act = useAction();
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const { patch, errors, changed } = draftPatch(state.settings, draft);
  const key = JSON.stringify(patch);
  // Ask the settings service what this change restarts whenever the change itself changes.
  useEffect(() => {
    let live = true;
    setProposal(null);
    if (changed) void client.call('settings.propose', patch).then((p) => { if (live) setProposal(p); }, () => undefined);
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const blocked = errors.length > 0 || (proposal?.errors.length ?? 0) > 0;
  return (
    <div className="apply-bar" data-testid="apply-bar">
      <div className="apply-text" role="status" aria-live="polite">
        {act.busy ? <span>{progress.at(-1) ?? 'Applying…'}</span>
          : changed && proposal ? <span>{restartSentence(proposal.restart)}</span>
          : changed ? <span>Checking what this change restarts…</span>
          : <span className="muted">No changes.</span>}
        {proposal?.errors.map((e) => <p key={e.key} className="error">{e.message}</p>)}
      </div>
      <ErrorText error={act.error} />
      <button type="button" disabled={Object.keys(draft).length === 0 || act.busy} onClick={resetDraft}>Discard</button>
      <button type="button" className="primary" disabled={!changed || blocked || act.busy}
        onClick={() => { clearProgress(); void act.run(() => client.call('settings.apply', patch)).then((ok) => ok && resetDraft()); }}>
        {act.busy ? 'Applying…' : 'Apply & Restart'}
      </button>
    </div>
  );
}
