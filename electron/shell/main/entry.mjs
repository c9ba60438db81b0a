// Electron's entry point: loads the TypeScript main process through tsx (as bin/berth.js does
// for the CLI). Top-level await keeps Electron's 'ready' until app.ts has registered its scheme.
import { register } from 'tsx/esm/api';

register();
await import('./app.ts');
