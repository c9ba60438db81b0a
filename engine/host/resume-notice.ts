// What the next command tells the user about an operation a dead host did not finish.
import { describeOperation, type Operation } from './operation-journal.ts';
import type { StoreName } from '../agent/agent-types.ts';

/**
 * `how`: the VM was adopted (it kept running), replaced (booted again), or no VM ran (stopped).
 * `store`/`changed`: the store the engine is on now, and whether this host had to apply it.
 */
export function interruptedNotice(
  op: Operation,
  how: 'adopted' | 'replaced' | 'stopped',
  store?: StoreName,
  changed = false,
): string {
  const head = `the previous Berth host stopped during ${describeOperation(op)}`;
  const on = store ? `the ${store} store is active` : '';
  switch (op.kind) {
    case 'switch':
      if (how === 'stopped') return `${head}; the engine is not running, and starts on the store the settings name`;
      if (store && op.store && store !== op.store)
        return `${head}; the settings now name the ${store} store, which is active`;
      if (how === 'replaced') return `${head}; the VM was restarted and the switch completed (${on})`;
      return `${head}; the switch ${changed ? 'was completed by this host' : 'completed'} (${on})`;
    case 'engine-config':
      if (how === 'stopped') return `${head}; the engine is not running, and starts with the saved settings`;
      return `${head}; ${how === 'replaced' ? 'the VM was restarted with' : changed ? 'this host applied' : 'the engine runs'} the saved settings${on ? ` (${on})` : ''}`;
    case 'migrate':
    case 'reclaim':
      return `${head}; ${how === 'adopted' ? 'the VM carried on with it' : 'it was cut off'}: run it again to be sure it finished (what it did is kept)`;
    case 'vm-restart':
      return `${head}; ${how === 'stopped' ? 'the engine is not running' : 'the engine runs again'}`;
  }
}
