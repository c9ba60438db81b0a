// `npm run bench`: every benchmark, one after another. Prints numbers; asserts nothing.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineBench } from './engine-bench.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
console.log('== engine ==');
await engineBench();
// Other benchmarks live beside this file and export bench(); run each that exists.
for (const name of fs
  .readdirSync(here)
  .filter((f) => f.endsWith('-bench.ts') && f !== 'engine-bench.ts')
  .sort()) {
  const mod = (await import(path.join(here, name))) as { bench?: () => Promise<void> };
  if (mod.bench) {
    console.log(`== ${name.replace(/-bench\.ts$/, '')} ==`);
    await mod.bench();
  }
}
