// `berth shell` hands the remote shell one command line, as ssh does (issue 10, item 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remoteCommand } from '../../electron/node-host/cli/shell.ts';

test('arguments are joined with spaces for the remote shell, like ssh', () => {
  assert.equal(remoteCommand(['echo a; echo b']), 'echo a; echo b', 'one string: the remote shell runs both commands');
  assert.equal(remoteCommand(['ls', '-l', '/']), 'ls -l /');
  assert.equal(
    remoteCommand(['docker', 'ps', '|', 'wc', '-l']),
    'docker ps | wc -l',
    'metacharacters reach the shell, as with ssh',
  );
  assert.equal(remoteCommand([]), '', 'no command: an interactive shell');
});
