#!/usr/bin/env node
// The `berth` command. Loads the TypeScript CLI through tsx so `npx berth` works from a checkout.
import { register } from 'tsx/esm/api';

register();
await import('../electron/node-host/cli/main.ts');
