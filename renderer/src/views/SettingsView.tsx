// Settings: General (the image-store checkbox), Docker Engine (daemon.json), Resources and Features, with
// one Apply & Restart that is enabled only when something changed and says what will restart.
import { useEffect, useState, type ReactNode } from 'react';
import { restartSentence, type Proposal, type SettingsState } from '../../../electron/node-host/api/settings-types.ts';
import { useClient, useDash } from '../context.ts';
import { daemonJsonText, draftPatch, shown } from '../state/settings-draft.ts';
import { FORM_CONTROLS, foldersFromText, keysOnTab } from '../state/settings-form.ts';
import { SETTING_INFO, type SettingKey, type Settings } from '../../../electron/node-host/api/settings-schema.ts';
import {
  CLASSIC_STORE_REASON,
  FEATURE_EXPLAIN,
  UNAVAILABLE,
  type FeatureKey,
} from '../../../electron/node-host/api/features.ts';
import type { SettingsTab } from '../../../electron/node-host/api/routes.ts';
import { ErrorText, useAction } from './common.tsx';

const TABS: Array<[SettingsTab, string]> = [
  ['general', 'General'],
  ['engine', 'Docker Engine'],
  ['resources', 'Resources'],
  ['features', 'Features'],
];

export function SettingsView(): ReactNode {
  const loaded = useDash((s) => s.settings);
  const tab = useDash((s) => s.settingsTab);
  const setTab = useDash((s) => s.setSettingsTab);
  if (!loaded)
    return (
      <div className="view">
        <p role="status">Loading settings…</p>
      </div>
    );
  if (loaded.value === undefined)
    return (
      <div className="view">
        <h1>Settings</h1>
        <ErrorText error={loaded.error} />
      </div>
    );
  const state = loaded.value;
  return (
    <div className="view settings">
      <h1>Settings</h1>
      <div
        role="tablist"
        aria-label="Settings sections"
        className="tabs"
        onKeyDown={(e) => {
          const i = TABS.findIndex(([t]) => t === tab);
          if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
            const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]![0];
            setTab(next);
            document.getElementById(`tab-${next}`)?.focus();
          }
        }}
      >
        {TABS.map(([t, label]) => (
          <button
            key={t}
            id={`tab-${t}`}
            type="button"
            role="tab"
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => setTab(t)}
          >
            {label}
          </button>
        ))}
      </div>
      {state.notices.map((n) => (
        <p key={n} className="warning-text">
          {n}
        </p>
      ))}
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel">
        {tab === 'general' ? (
          <General state={state} />
        ) : tab === 'engine' ? (
          <EngineTab state={state} />
        ) : tab === 'features' ? (
          <FeaturesTab state={state} />
        ) : (
          <Resources state={state} />
        )}
      </div>
      <ApplyBar state={state} />
    </div>
  );
}

function General({ state }: { state: SettingsState }): ReactNode {
  const draft = useDash((s) => s.draft);
  const setDraft = useDash((s) => s.setDraft);
  const checked = shown(state.settings, draft, 'useContainerdSnapshotter') === true;
  const locked = state.locked.includes('useContainerdSnapshotter');
  return (
    <div className="setting">
      <label className="check big">
        <input
          type="checkbox"
          checked={checked}
          disabled={locked}
          onChange={(e) => setDraft({ useContainerdSnapshotter: e.target.checked })}
        />
        {SETTING_INFO.useContainerdSnapshotter.label}
      </label>
      <div className="explain">
        <p>
          Turns on the containerd image store: containerd pulls, pushes and stores your images instead of the classic
          Docker image store. It understands image indexes, so it can keep multi-platform images and images with
          attestations, and it uses containerd snapshotters instead of graph drivers.
        </p>
        <p>
          Images and containers are not shared between the two stores. When you switch, the images and containers of the
          store you leave are hidden, not deleted, and come back when you switch back.
        </p>
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
      <label className="field" htmlFor="daemon-json">
        {SETTING_INFO.dockerEngine.label}
      </label>
      <p className="muted">Keys are passed to dockerd as they are. The image store is set in General.</p>
      <textarea
        id="daemon-json"
        className="code"
        spellCheck={false}
        rows={16}
        value={text}
        aria-invalid={errors.length > 0}
        aria-describedby="daemon-json-errors"
        onChange={(e) => setDraft({ daemonJsonText: e.target.value })}
      />
      <div id="daemon-json-errors">
        {errors.map((e) => (
          <p key={e} className="error">
            {e}
          </p>
        ))}
      </div>
    </div>
  );
}

function Resources({ state }: { state: SettingsState }): ReactNode {
  const l = state.limits;
  return (
    <div className="setting">
      {keysOnTab('resources').map((key) => (
        <Field key={key} state={state} k={key} />
      ))}
      <p className="muted">
        The VM may use up to {l.maxCpus} CPUs and {(l.maxMemoryMiB / 1024).toFixed(1)} GiB on this machine; its disk can
        grow from {l.minDiskGiB} to {l.maxDiskGiB} GiB (it never shrinks).
      </p>
    </div>
  );
}

/** Offered only while the containerd store is active (as applied, not as drafted): the classic store says why not. */
function FeaturesTab({ state }: { state: SettingsState }): ReactNode {
  const containerd = state.settings.useContainerdSnapshotter;
  return (
    <div className="setting">
      {keysOnTab('features').map((key) => {
        const k = key as FeatureKey;
        const on = state.settings.features[k.slice('features.'.length) as keyof Settings['features']];
        return (
          <div key={k} className="feature">
            {containerd || on ? (
              <Field state={state} k={k} />
            ) : (
              <p>
                <strong>{SETTING_INFO[k].label}</strong>
              </p>
            )}
            <p className="muted">{FEATURE_EXPLAIN[k]}</p>
            {!containerd ? (
              <p className="error" data-testid={`classic-${k}`}>
                Needs the containerd image store (General): {CLASSIC_STORE_REASON[k]}.
              </p>
            ) : null}
            {UNAVAILABLE[k] ? <p className="muted">{UNAVAILABLE[k]}.</p> : null}
          </div>
        );
      })}
    </div>
  );
}

function memoryText(mib: number): string {
  return `${(mib / 1024).toFixed(mib % 1024 ? 2 : 0)} GiB`;
}

/** One setting's control, as FORM_CONTROLS describes it. */
function Field({ state, k }: { state: SettingsState; k: SettingKey }): ReactNode {
  const draft = useDash((s) => s.draft);
  const setDraft = useDash((s) => s.setDraft);
  const c = FORM_CONTROLS[k];
  const value = shown(state.settings, draft, k);
  const disabled = state.locked.includes(k);
  const id = `setting-${k.replace('.', '-')}`;
  const label = SETTING_INFO[k].label;
  switch (c.kind) {
    case 'range':
    case 'number': {
      const n = Number(value);
      return (
        <label className="field" htmlFor={id}>
          {label}: <strong>{k === 'vm.memoryMiB' ? memoryText(n) : `${n}${c.unit ? ` ${c.unit}` : ''}`}</strong>
          <input
            id={id}
            type={c.kind}
            min={c.min(state.limits)}
            max={c.max(state.limits)}
            step={c.step}
            value={n}
            disabled={disabled}
            onChange={(e) => setDraft({ [k]: Number(e.target.value) })}
          />
          {k === 'vm.diskGiB' ? <span className="muted"> A larger disk is grown when the VM next starts.</span> : null}
        </label>
      );
    }
    case 'select':
      return (
        <label className="field" htmlFor={id}>
          {label}
          <select id={id} value={String(value)} disabled={disabled} onChange={(e) => setDraft({ [k]: e.target.value })}>
            {c.options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
      );
    case 'folders':
      return (
        <label className="field" htmlFor={id}>
          {label} (one folder per line, shared at the same path)
          <textarea
            id={id}
            className="code"
            rows={4}
            spellCheck={false}
            disabled={disabled}
            value={(value as string[]).join('\n')}
            onChange={(e) => setDraft({ [k]: foldersFromText(e.target.value) })}
          />
          <span className="muted">
            {' '}
            Each must be an existing folder on this computer. A change applies when the VM restarts (said below before
            you apply); bind mounts of these folders see files as the host has them, and watchers in containers hear of
            host-side edits.
          </span>
        </label>
      );
    case 'checkbox':
      return (
        <label className="check" htmlFor={id}>
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            disabled={disabled}
            onChange={(e) => setDraft({ [k]: e.target.checked })}
          />
          {label}
        </label>
      );
    case 'daemon-json':
      return <EngineTab state={state} />;
  }
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
    if (changed)
      void client.call('settings.propose', patch).then(
        (p) => {
          if (live) setProposal(p);
        },
        () => undefined,
      );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const blocked = errors.length > 0 || (proposal?.errors.length ?? 0) > 0;
  return (
    <div className="apply-bar" data-testid="apply-bar">
      <div className="apply-text" role="status" aria-live="polite">
        {act.busy ? (
          <span>{progress.at(-1) ?? 'Applying…'}</span>
        ) : changed && proposal ? (
          <span>{restartSentence(proposal.restart)}</span>
        ) : changed ? (
          <span>Checking what this change restarts…</span>
        ) : (
          <span className="muted">No changes.</span>
        )}
        {proposal?.errors.map((e) => (
          <p key={e.key} className="error">
            {e.message}
          </p>
        ))}
      </div>
      <ErrorText error={act.error} />
      <button type="button" disabled={Object.keys(draft).length === 0 || act.busy} onClick={resetDraft}>
        Discard
      </button>
      <button
        type="button"
        className="primary"
        disabled={!changed || blocked || act.busy}
        onClick={() => {
          clearProgress();
          void act.run(() => client.call('settings.apply', patch)).then((ok) => ok && resetDraft());
        }}
      >
        {act.busy ? 'Applying…' : 'Apply & Restart'}
      </button>
    </div>
  );
}
