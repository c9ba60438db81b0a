// `berth store …`: which image store is active, what the hidden one holds, switch, migrate.
import { ControlClient } from '../control/control-client.ts';
import { StoreSummarySchema, type StoreSummary } from '../control/store-routes.ts';
import { MigrateProgress } from '../../engine/agent/messages.ts';

const MB = 1024 * 1024;
const LABEL = { containerd: 'containerd image store', classic: 'classic image store' } as const;

export function formatSummary(s: StoreSummary): string {
  const mb = (b: number): string => `${(b / MB).toFixed(1)} MB`;
  return [
    `active: ${LABEL[s.active]} (${s.activeImages} images, ${mb(s.activeBytes)}; ${s.activeContainers} containers)`,
    `hidden: ${LABEL[s.hidden.store]} holds ${s.hidden.images} images (${mb(s.hidden.bytes)}) and ${s.hidden.containers} containers` +
      (s.hidden.images + s.hidden.containers > 0 ? `; switch back with 'berth store use ${s.hidden.store}'` : ''),
  ].join('\n');
}

export async function storeCommand(client: ControlClient, args: string[], usage: (msg: string) => Error): Promise<number> {
  const [sub, arg] = args;
  if (sub === undefined || sub === '--json') {
    const s = await client.call('GET', '/v1/store', StoreSummarySchema);
    console.log(sub === '--json' ? JSON.stringify(s, null, 2) : formatSummary(s));
    return 0;
  }
  if (sub === 'use') {
    if (arg !== 'containerd' && arg !== 'classic') throw usage(`'berth store use' takes containerd or classic, not '${arg ?? ''}'`);
    console.log(`Switching to the ${LABEL[arg]} (the engine restarts; nothing is deleted)…`);
    const s = await client.call('POST', '/v1/store/use', StoreSummarySchema, { store: arg });
    console.log(formatSummary(s));
    return 0;
  }
  if (sub === 'migrate') {
    let ok = false;
    await client.stream('POST', '/v1/store/migrate', (m) => {
      if (m.type === 'error') console.error(`berth: migration failed: ${m.message}`);
      if (m.type !== 'event') return;
      const p = MigrateProgress.safeParse(m.data);
      if (!p.success) return;
      const count = p.data.total ? ` [${p.data.done}/${p.data.total}]` : '';
      console.log(`${p.data.phase}${count}: ${p.data.message}`);
      if (m.name === 'migrate-done') ok = true;
    });
    return ok ? 0 : 1;
  }
  throw usage(`unknown 'berth store' command '${sub}'`);
}
