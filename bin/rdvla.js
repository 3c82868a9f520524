#!/usr/bin/env node
// Entry point for `npx rdvla`: runs the compiled CLI from dist/ (built by `npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('rdvla: dist/src/cli/main.js is missing: run `npm run build` in the checkout first');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
// A failed command has already printed its message. Exit soon after it, so that a handle a broken
// part left open (the port of a dead child process, for example) cannot keep the process running.
if (process.exitCode !== undefined && process.exitCode !== 0) setTimeout(() => process.exit(), 2000).unref();
