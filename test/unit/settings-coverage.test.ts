// Every setting in the schema reaches every front end: the API contract, the CLI and the dashboard
// form (rendered), with a restart reason. Keys are taken from the schema's own shape, so a key
// added there and forgotten anywhere else fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { z } from 'zod';
import {
  SETTING_INFO,
  SETTING_KEYS,
  SettingsSchema,
  getKey,
  withKey,
  type FormTab,
  type SettingKey,
} from '../../electron/node-host/api/settings-schema.ts';
import {
  ProposalSchema,
  SettingsPatchSchema,
  SettingsStateSchema,
  SettingsViewSchema,
  type SettingsState,
} from '../../electron/node-host/api/settings-types.ts';
import { calls } from '../../electron/node-host/api/contract.ts';
import { flattenPatch, settingsFromCli } from '../../electron/node-host/settings/patch.ts';
import { SETTINGS_USAGE } from '../../electron/node-host/cli/settings-commands.ts';
import { RESTART_BY_KEY } from '../../electron/node-host/settings/restart.ts';
import { defaultSettings } from '../../electron/node-host/settings/schema.ts';
import { validateValue } from '../../electron/node-host/settings/validate.ts';
import { draftPatch } from '../../renderer/src/state/settings-draft.ts';
import { FORM_CONTROLS } from '../../renderer/src/state/settings-form.ts';
import { createDashStore } from '../../renderer/src/state/store.ts';
import { DashContext } from '../../renderer/src/context.ts';
import { SettingsView } from '../../renderer/src/views/SettingsView.tsx';
import type { ApiClient } from '../../electron/node-host/api/client.ts';

/** The settings view rendered on one tab (server rendering reads zustand's initial state). */
function render(state: SettingsState, tab: FormTab): string {
  const store = createDashStore(null);
  store.setState({ settings: { value: state }, settingsTab: tab });
  const snapshot = store.getState();
  store.getInitialState = () => snapshot;
  return renderToStaticMarkup(
    createElement(DashContext.Provider, { value: { client: {} as ApiClient, store } }, createElement(SettingsView)),
  );
}

/** The schema's keys, read from its zod shape (nested objects are groups). */
function schemaKeys(): string[] {
  return Object.entries(SettingsSchema.shape).flatMap(([k, s]) =>
    s instanceof z.ZodObject ? Object.keys(s.shape).map((sub) => `${k}.${sub}`) : [k],
  );
}

/** A valid value other than the default, per key: a new key needs one here too. */
const SAMPLE: Record<string, unknown> = {
  useContainerdSnapshotter: false,
  dockerEngine: { debug: true },
  'vm.cpus': 1,
  'vm.memoryMiB': 3072,
  'vm.diskGiB': 96,
  accelerator: 'tcg',
  fileSharing: ['/srv/projects'],
  'features.lazyPulling': true,
  'features.wasm': true,
};

const LIMITS = { maxCpus: 4, maxMemoryMiB: 8192, minDiskGiB: 64, maxDiskGiB: 2048 };

test("the key list is the schema's shape", () => {
  assert.deepEqual([...SETTING_KEYS].sort(), schemaKeys().sort());
});

for (const key of schemaKeys() as SettingKey[]) {
  test(`${key}: in the API, the CLI, the form, with a restart reason`, () => {
    const sample = SAMPLE[key];
    assert.ok(sample !== undefined, `add a sample value for ${key}`);
    assert.equal(validateValue(key, sample), null, 'the sample is valid');
    const changed = withKey(defaultSettings(), key, sample);
    const nested = key.includes('.') ? { [key.split('.')[0]!]: { [key.split('.')[1]!]: sample } } : { [key]: sample };

    // API: the view and the dashboard state keep it; a patch and a proposal may carry it.
    const view = SettingsViewSchema.parse({ settings: changed, locked: [key], notices: [], applying: false });
    assert.deepEqual(getKey(view.settings, key), sample);
    assert.deepEqual(getKey(SettingsStateSchema.parse({ ...view, limits: LIMITS }).settings, key), sample);
    assert.deepEqual(SettingsPatchSchema.parse(nested), nested);
    assert.ok(calls['settings.apply'].input.safeParse(nested).success, 'the dashboard contract accepts it');
    if (key.includes('.')) assert.ok(calls['settings.apply'].input.safeParse({ [key]: sample }).success, 'and dotted');
    assert.ok(
      ProposalSchema.safeParse({ changes: [{ key, from: null, to: sample, restart: 'vm' }], restart: 'vm', errors: [] })
        .success,
    );

    // CLI: key=value parses to the key; the usage names it.
    const cli = flattenPatch(settingsFromCli([`${key}=${JSON.stringify(sample)}`]));
    assert.deepEqual(cli.errors, []);
    assert.deepEqual(cli.values.get(key), sample);
    assert.match(SETTINGS_USAGE, new RegExp(`\\b${key.replace('.', '\\.')}\\b`));

    // Restart reason and form control.
    assert.ok(RESTART_BY_KEY[key], 'a restart reason');
    assert.ok(FORM_CONTROLS[key], 'a form control');
    const edit = key === 'dockerEngine' ? { daemonJsonText: JSON.stringify(sample) } : { [key]: sample };
    assert.deepEqual(draftPatch(defaultSettings(), edit).patch, nested, "the form's edit becomes the patch");

    // The form, rendered on its tab, shows the setting's label.
    const html = render({ ...view, locked: [], limits: LIMITS }, SETTING_INFO[key].tab);
    assert.ok(
      html.includes(SETTING_INFO[key].label),
      `the ${SETTING_INFO[key].tab} tab shows "${SETTING_INFO[key].label}"`,
    );
  });
}

test("the Resources tab shows the host's limits", () => {
  const html = render(
    { settings: defaultSettings(), locked: [], notices: [], applying: false, limits: LIMITS },
    'resources',
  );
  assert.match(html, /up to 4 CPUs and 8\.0 GiB/);
  assert.match(html, /from 64 to 2048 GiB/);
  assert.match(html, /id="setting-vm-diskGiB"[^>]*min="64"/);
  assert.match(html, /<option value="tcg">tcg<\/option>/);
});

test('the contract refuses a patch with a key the settings schema does not have, nested or dotted', () => {
  for (const bad of [{ colour: 'blue' }, { vm: { gpus: 1 } }, { 'vm.gpus': 1 }, [1, 2]]) {
    assert.equal(calls['settings.apply'].input.safeParse(bad).success, false, JSON.stringify(bad));
    assert.equal(calls['settings.propose'].input.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
