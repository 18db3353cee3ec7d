#!/usr/bin/env node
// The `tally` command. Sources are TypeScript run through tsx's loader, so there is no build step
// between editing and running, and `npm install && npm start` needs nothing else.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
