#!/usr/bin/env node
// The `wse-server` bin. Committed (not built) because npm links a workspace's bin only when the file
// exists at install time: with `dist/cli.js` as the target, `npx wse-server` after `npm ci` finds no
// link and fetches an unrelated package of that name from the registry. This file only loads the
// built CLI, and says what to do when the build is missing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'wse-server: the CLI is not built yet (no dist/cli.js in @wse/ref-server).\n' +
      'Run `npm run build` first (in this repository: `npm run build`, or ' +
      '`npm run build -w @wse/core-client -w @wse/ref-server`).\n',
  );
  process.exit(1);
}
await import(cli.href);
