// Control API routes for settings: read, propose, apply ("Apply & Restart") and factory reset.
// Apply and reset stream progress as NDJSON events, then the final settings or the error.
import type http from 'node:http';
import type { ControlServer } from './control-server.ts';
import { HttpError, ndjson, readJson } from './http-json.ts';
import type { StreamMessage } from './protocol.ts';
import { SettingsPatchSchema, type SettingsPatch } from '../settings/patch.ts';
import { ResetBodySchema, SETTINGS_EVENT, SETTINGS_PROGRESS_EVENT } from '../api/settings-types.ts';
import type { SettingsService } from '../settings/service.ts';
import type { Settings } from '../settings/schema.ts';

async function patchBody(req: http.IncomingMessage): Promise<SettingsPatch> {
  const parsed = SettingsPatchSchema.safeParse(await readJson(req));
  if (!parsed.success) throw new HttpError(400, 'the body must be a JSON object of settings, for example {"vm": {"cpus": 4}}');
  return parsed.data;
}

export function registerSettingsRoutes(server: ControlServer, settings: SettingsService): void {
  server.route('GET', '/v1/settings', () => settings.view());

  server.route('POST', '/v1/settings/propose', async (req) => settings.propose(await patchBody(req)));

  /** Refusals (invalid, locked, busy) answer 400/409 before the stream starts; failures come in it. */
  const streamed = (res: http.ServerResponse, action: () => Promise<Settings>): Promise<void> => {
    const write = ndjson(res) as (m: StreamMessage) => void;
    const onProgress = (msg: string): void => write({ type: 'event', name: SETTINGS_PROGRESS_EVENT, data: msg });
    settings.on('progress', onProgress);
    return action().then(
      (s) => write({ type: 'event', name: SETTINGS_EVENT, data: s }),
      (e: Error) => write({ type: 'error', message: e.message }),
    ).finally(() => { settings.off('progress', onProgress); res.end(); });
  };

  server.route('POST', '/v1/settings', async (req, res) => {
    const patch = await patchBody(req);
    const proposal = settings.propose(patch);
    if (proposal.errors.length) throw new HttpError(400, proposal.errors.map((e) => e.message).join('; '));
    if (settings.applying) throw new HttpError(409, 'another apply or factory reset is in progress; try again when it has finished');
    await streamed(res, () => settings.apply(patch));
  });

  server.route('POST', '/v1/reset', async (req, res) => {
    if (!ResetBodySchema.safeParse(await readJson(req)).success) throw new HttpError(400, 'the body must be {"factory": true}');
    if (settings.applying) throw new HttpError(409, 'another apply or factory reset is in progress; try again when it has finished');
    await streamed(res, () => settings.factoryReset());
  });
}
