#!/usr/bin/env node
// The `aca` command. The sources are TypeScript; tsx's loader runs them directly, so
// `npx aca` works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
