// Arrows point down: renderer → electron → engine. Nothing under engine/ imports electron/ or
// renderer/, and nothing under electron/ imports renderer/ (what the UI and the shell share, such
// as the routes, lives in the contract, electron/node-host/api/). Checked over every source file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAYERS = ['engine', 'electron', 'renderer'] as const;

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory())
      return e.name === 'node_modules' || e.name === 'generated' || e.name === 'dist' ? [] : sources(rel);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Each relative import of a file (static, dynamic, export-from), as a path from the root. */
export function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => path.normalize(path.join(path.dirname(file), s)));
}

const layerOf = (file: string): number => LAYERS.indexOf(file.split(path.sep)[0] as (typeof LAYERS)[number]);

test('the import scanner sees static, dynamic and re-export imports', () => {
  const text =
    "import a from '../x.ts';\nexport { b } from './y.ts';\nconst c = await import('../../z.ts');\nimport './side.ts';";
  assert.deepEqual(importsOf('electron/cli/m.ts', text), [
    'electron/x.ts',
    'electron/cli/y.ts',
    'z.ts',
    'electron/cli/side.ts',
  ]);
});

test('no import points up a layer (engine ← electron ← renderer)', () => {
  const wrong: string[] = [];
  for (const layer of LAYERS) {
    for (const file of sources(layer)) {
      for (const target of importsOf(file, fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
        const to = layerOf(target);
        if (to > layerOf(file)) wrong.push(`${file} imports ${target}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

/**
 * Sibling folders whose files import each other both ways: each pair is one room with two doors.
 * (A folder and its own subfolder, like renderer/src and renderer/src/views, are one package.)
 */
test('no two folders import each other', () => {
  const edges = new Set<string>();
  for (const layer of LAYERS) {
    for (const file of sources(layer)) {
      for (const target of importsOf(file, fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
        const [a, b] = [path.dirname(file), path.dirname(target)];
        if (a !== b) edges.add(`${a} -> ${b}`);
      }
    }
  }
  const nested = (a: string, b: string): boolean => a.startsWith(`${b}${path.sep}`) || b.startsWith(`${a}${path.sep}`);
  const cycles = [...edges].filter((e) => {
    const [a, b] = e.split(' -> ') as [string, string];
    return a < b && !nested(a, b) && edges.has(`${b} -> ${a}`);
  });
  assert.deepEqual(cycles, []);
});
